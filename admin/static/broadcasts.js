// The broadcast page's live parts: the progress figures refresh every two seconds while the
// broadcast runs; the test form finds the editor's own chat among the bot's subscribers; forms
// marked data-confirm ask first.
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

async function getJson(url) {
  const response = await fetch(url, { headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function followProgress(card) {
  if (card.dataset.live !== "yes") return;
  const field = (name) => card.querySelector(`[data-field="${name}"]`);
  const refresh = async () => {
    try {
      const { progress } = await getJson(card.dataset.progressUrl);
      for (const name of ["pending", "sent", "failed", "blocked", "skipped", "unconfirmed"]) {
        field(name).textContent = String(progress[name]);
      }
      field("bar").max = Math.max(progress.total, 1);
      field("bar").value = progress.done;
      if (progress.status !== card.dataset.status) {
        window.location.reload(); // the status changed (finished, paused elsewhere): show its actions
        return;
      }
    } catch (error) {
      console.warn(error);
    }
    setTimeout(refresh, 2000);
  };
  setTimeout(refresh, 2000);
}

function findSubscribers(form) {
  const who = form.querySelector('[data-field="who"]');
  const choice = form.querySelector('[data-field="subscriber"]');
  let timer = null;
  const search = async () => {
    const url = `${form.dataset.subscribersUrl}&q=${encodeURIComponent(who.value)}`;
    const { subscribers } = await getJson(url);
    choice.replaceChildren(
      ...subscribers.map((subscriber) => {
        const option = document.createElement("option");
        option.value = String(subscriber.id);
        const name = [subscriber.first_name, subscriber.username ? `@${subscriber.username}` : ""].filter(Boolean);
        option.textContent = name.join(" ") || String(subscriber.chat_id);
        return option;
      }),
    );
  };
  who.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search().catch(console.warn), 250);
  });
  search().catch(console.warn);
}

document.querySelectorAll("[data-progress-url]").forEach(followProgress);
document.querySelectorAll("form[data-subscribers-url]").forEach(findSubscribers);
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
