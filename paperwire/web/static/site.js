// Progressive enhancement only: every form works without this file.
// Votes: submit the vote form in the background and update the count without reloading.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form[data-vote]")) return;
  event.preventDefault();
  const response = await fetch(form.action, {
    method: "POST",
    headers: { "Accept": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
    credentials: "same-origin",
  });
  if (response.status === 401) { window.location = "/signin?next=" + encodeURIComponent(location.pathname + location.search); return; }
  if (!response.ok) { form.submit(); return; }
  const data = await response.json();
  const button = form.querySelector("button");
  button.setAttribute("aria-pressed", data.voted ? "true" : "false");
  form.querySelector("[data-count]").textContent = data.upvotes;
});
