"""Knowledge base: categories and Markdown articles per workspace, with a locale, a visibility and
immutable revisions made by each publish; sanitised rendering; the public help center's queries."""
