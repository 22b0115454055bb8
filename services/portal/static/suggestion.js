// 分类建议, shared by the H5 filing form (suggest.js) and the hotline page (hotline.js): ask the portal for the likely
// category of a text, and show the answer with why (the words that matched) and a button to take it.
window.WhistleSuggestion = (function () {
  function csrf() {
    return (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  }

  // POST {title, description} to `url`; resolves to the best suggestion (or null), never rejects.
  function ask(url, text) {
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(text),
      credentials: 'same-origin',
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((answer) => (answer ? answer.suggestions[0] || null : undefined))
      .catch(() => undefined);
  }

  // Draw `top` into `box`; the 采用 button (when `select` is not already on it) calls `use(top)`.
  function show(box, labels, top, select, use) {
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
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.textContent = labels.use;
      button.addEventListener('click', () => use(top));
      box.append(button);
    }
  }

  return { ask, show };
})();
