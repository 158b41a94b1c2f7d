"""Builds en.json and ru.json beside this file from XQuAD-R (the XQuAD paragraphs and questions, as
published with sentence breaks in google-research-datasets/lareqa, files xquad-r/en.json and
xquad-r/ru.json; CC BY-SA 4.0). See README.md for what is taken and why.

    python tests/data/xquad_subset/build.py path/to/xquad-r/en.json path/to/xquad-r/ru.json

The inputs may be the full files or copies holding only the articles named below (same SQuAD
format). Each context and question is taken as published, trimmed of whitespace and of a leading
byte-order mark; where a question carries its answer, the answer must sit at its offset in the
context (a check that the text was copied intact)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = "XQuAD (Artetxe et al., 2019) via XQuAD-R, google-research-datasets/lareqa; CC BY-SA 4.0"
# Indexed: every paragraph of these articles is a knowledge-base article.
INDEXED = (
    "Super_Bowl_50",
    "Warsaw",
    "Nikola_Tesla",
    "Computational_complexity_theory",
    "Teacher",
    "Southern_California",
)
# Held out: their questions are asked, their paragraphs are not indexed (other topics).
HELD_OUT = ("Normans", "Martin_Luther")
QUESTIONS_PER_PARAGRAPH = 4  # the first ones, in the file's order
TITLES = {
    "en": {
        "Super_Bowl_50": "Super Bowl 50",
        "Warsaw": "Warsaw",
        "Nikola_Tesla": "Nikola Tesla",
        "Computational_complexity_theory": "Computational complexity theory",
        "Teacher": "Teacher",
        "Southern_California": "Southern California",
    },
    "ru": {
        "Super_Bowl_50": "Суперкубок 50",
        "Warsaw": "Варшава",
        "Nikola_Tesla": "Никола Тесла",
        "Computational_complexity_theory": "Теория сложности вычислений",
        "Teacher": "Учитель",
        "Southern_California": "Южная Калифорния",
    },
}
PART = {"en": "part", "ru": "часть"}
# Written for this set: questions no knowledge base of these articles could answer.
OFF_TOPIC = {
    "en": [
        "What's the weather going to be like tomorrow?",
        "How do I cook borscht?",
        "Can you recommend a good pizza place nearby?",
        "How do I reset my iPhone to factory settings?",
        "What is the euro to dollar exchange rate today?",
        "Tell me a joke about cats.",
        "How long should I boil an egg for a runny yolk?",
        "Which running shoes are best for flat feet?",
        "How do I get rid of aphids on my tomato plants?",
        "What time does the pharmacy open on Sunday?",
        "Can you help me write a birthday card for my grandmother?",
        "How many calories are in a banana?",
    ],
    "ru": [
        "Какая погода будет завтра?",
        "Как приготовить борщ?",
        "Посоветуй хорошую пиццерию поблизости.",
        "Как сбросить айфон до заводских настроек?",
        "Какой сегодня курс евро к доллару?",
        "Расскажи анекдот про котов.",
        "Сколько варить яйцо всмятку?",
        "Какие кроссовки лучше при плоскостопии?",
        "Как избавиться от тли на помидорах?",
        "Во сколько открывается аптека в воскресенье?",
        "Помоги написать открытку бабушке на день рождения.",
        "Сколько калорий в банане?",
    ],
}


def clean(text: str) -> str:
    return text.replace("\ufeff", "").strip()


def check_answers(context: str, qas: list[dict[str, Any]]) -> None:
    for qa in qas:
        for answer in qa.get("answers", []):
            start, text = answer["answer_start"], answer["text"]
            if context[start : start + len(text)] != text:
                raise ValueError(f"question {qa['id']}: the answer is not at its offset in the context")


def subset(squad: dict[str, Any], language: str) -> dict[str, Any]:
    by_title = {article["title"]: article for article in squad["data"]}
    articles, answerable, out_of_scope = [], [], []
    for title in INDEXED:
        for number, paragraph in enumerate(by_title[title]["paragraphs"], 1):
            article_id = f"{title}-{number}"
            qas = paragraph["qas"][:QUESTIONS_PER_PARAGRAPH]
            check_answers(paragraph["context"], qas)
            articles.append(
                {
                    "id": article_id,
                    "title": f"{TITLES[language][title]}, {PART[language]} {number}",
                    "body": clean(paragraph["context"]),
                }
            )
            answerable += [{"id": qa["id"], "question": clean(qa["question"]), "article_id": article_id} for qa in qas]
    for title in HELD_OUT:
        for paragraph in by_title[title]["paragraphs"]:
            out_of_scope += [
                {"id": qa["id"], "question": clean(qa["question"]), "kind": "held_out", "source_article": title}
                for qa in paragraph["qas"]
            ]
    out_of_scope += [
        {"id": f"off-topic-{number}", "question": question, "kind": "off_topic", "source_article": None}
        for number, question in enumerate(OFF_TOPIC[language], 1)
    ]
    return {
        "source": SOURCE,
        "language": language,
        "articles": articles,
        "answerable": answerable,
        "out_of_scope": out_of_scope,
    }


def main(en_path: str, ru_path: str) -> None:
    built = {}
    for language, path in (("en", en_path), ("ru", ru_path)):
        built[language] = subset(json.loads(Path(path).read_text(encoding="utf-8")), language)
    for key in ("answerable", "out_of_scope"):  # the same questions in both languages
        if [q["id"] for q in built["en"][key]] != [q["id"] for q in built["ru"][key]]:
            raise ValueError(f"the {key} questions differ between the languages")
    for language, data in built.items():
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        (HERE / f"{language}.json").write_text(text, encoding="utf-8")
        print(
            f"{language}: {len(data['articles'])} articles, {len(data['answerable'])} answerable, "
            f"{len(data['out_of_scope'])} out of scope"
        )


if __name__ == "__main__":
    main(*sys.argv[1:3])
