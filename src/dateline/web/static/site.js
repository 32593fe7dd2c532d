// Progressive enhancement: the reaction form works without JavaScript (POST + redirect);
// with it, the count updates in place.
"use strict";
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("reaction")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRF-Token": form.elements.csrf.value },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const state = await response.json();
    button.setAttribute("aria-pressed", state.reacted ? "true" : "false");
    button.querySelector(".reaction-label").textContent = state.reacted ? "Liked" : "Like";
    const count = button.querySelector(".reaction-count");
    count.textContent = String(state.count);
    count.setAttribute("aria-label", state.count + (state.count === 1 ? " reader" : " readers") + " liked this");
  } catch (error) {
    form.submit();  // fall back to the plain form post
  } finally {
    button.disabled = false;
  }
});
