// 评价: nothing is preselected; submitting with a question unanswered names it in Chinese beside the form and sends
// nothing (the server checks the same without this script).
document.querySelectorAll("[data-rating-form]").forEach((form) => {
  form.noValidate = true;
  const error = form.querySelector(".rating-error");
  form.addEventListener("submit", (event) => {
    const missing = [...form.querySelectorAll("fieldset[data-question]")].find(
      (set) => !set.querySelector("input[type=radio]:checked"),
    );
    if (!missing) return;
    event.preventDefault();
    error.textContent = missing.dataset.question;
    error.hidden = false;
    missing.querySelector("input[type=radio]").focus();
  });
  form.addEventListener("change", () => {
    if (![...form.querySelectorAll("fieldset[data-question]")].some((set) => !set.querySelector("input:checked"))) {
      error.hidden = true;
    }
  });
});
