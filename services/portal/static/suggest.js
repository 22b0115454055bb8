// 分类建议 on the H5 form: while the resident types, ask the portal (which asks intake) for the likely category and
// say why (the words that matched), with a button to take it. Without this script the form still works: a blank
// category is suggested by intake when the ticket is filed, and the ticket page shows the reason.
(function () {
  const box = document.getElementById('category-suggestion');
  const form = box && box.closest('form');
  const select = form && form.querySelector('select[name="category"]');
  if (!box || !form || !select || !window.fetch || !window.WhistleSuggestion) return;
  const labels = JSON.parse(box.dataset.labels || '{}');
  let timer = null;
  let asked = '';

  function show(top) {
    window.WhistleSuggestion.show(box, labels, top, select, (chosen) => {
      select.value = chosen.category;
      show(chosen);
    });
  }

  function ask() {
    if (form.elements.kind && form.elements.kind.value === 'wish') {
      box.hidden = true; // a 微心愿 without a category is filed as one: nothing to suggest
      return;
    }
    const text = { title: form.elements.title.value, description: form.elements.description.value };
    const key = text.title + '\n' + text.description;
    if (key.trim().length < 2 || key === asked) return;
    asked = key;
    window.WhistleSuggestion.ask('/file/suggest', text).then((top) => {
      if (top !== undefined && asked === key) show(top);
    });
  }

  form.addEventListener('change', (event) => {
    if (event.target.name === 'kind') {
      asked = '';
      ask();
    }
  });
  for (const field of [form.elements.title, form.elements.description]) {
    field.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 400);
    });
  }
})();
