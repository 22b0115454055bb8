// 分类建议 on the H5 form: while the resident types, ask the portal (which asks intake) for the likely category and
// say why (the words that matched), with a button to take it. Without this script the form still works: a blank
// category is suggested by intake when the ticket is filed, and the ticket page shows the reason.
(function () {
  const box = document.getElementById('category-suggestion');
  const form = box && box.closest('form');
  const select = form && form.querySelector('select[name="category"]');
  if (!box || !form || !select || !window.fetch) return;
  const labels = JSON.parse(box.dataset.labels || '{}');
  let timer = null;
  let asked = '';

  function show(top) {
    box.hidden = false;
    box.textContent = '';
    if (!top) {
      box.textContent = labels.none;
      return;
    }
    box.append(labels.suggested + '：');
    const name = document.createElement('strong');
    name.textContent = top.name;
    box.append(name, '（' + top.reason + '） ');
    if (select.value !== top.category) {
      const use = document.createElement('button');
      use.type = 'button';
      use.className = 'link';
      use.textContent = labels.use;
      use.addEventListener('click', () => {
        select.value = top.category;
        show(top);
      });
      box.append(use);
    }
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
    fetch('/file/suggest', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': (document.querySelector('meta[name="csrf-token"]') || {}).content || '' },
      body: JSON.stringify(text),
      credentials: 'same-origin',
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((answer) => {
        if (answer && asked === key) show(answer.suggestions[0]);
      })
      .catch(() => {});
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
