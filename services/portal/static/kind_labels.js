// 我要吹哨, 不登录吹哨, 热线受理: the form speaks of what is being filed. When the kind changes (反映问题 / 微心愿), the
// labels, the placeholders and the blank category's wording follow, from the words the server put in the form's
// data-kind-texts (services/portal/labels.py KIND_TEXT). Without this script the server renders the chosen kind's
// words (?kind=wish, or the form shown again after a refusal).
(function () {
  for (const form of document.querySelectorAll('form[data-kind-texts]')) {
    const texts = JSON.parse(form.dataset.kindTexts || '{}');
    const apply = () => {
      const kind = form.elements.kind ? form.elements.kind.value : 'problem';
      const words = texts[kind] || texts.problem || {};
      for (const el of form.querySelectorAll('[data-kind-text]')) {
        if (words[el.dataset.kindText] !== undefined) el.textContent = words[el.dataset.kindText];
      }
      for (const el of form.querySelectorAll('[data-kind-placeholder]')) {
        if (words[el.dataset.kindPlaceholder] !== undefined) el.placeholder = words[el.dataset.kindPlaceholder];
      }
      form.dataset.kind = kind;
    };
    form.addEventListener('change', (event) => {
      if (event.target.name === 'kind') apply();
    });
    apply();
  }
})();
