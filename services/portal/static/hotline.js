// 热线受理, keyboard-first. Without this script the page still files (Enter submits, the category list is a plain list).
// - the caller's latest tickets appear once the number is whole (GET /hotline/caller, asked once per number);
// - 类别搜索 filters the category list by any part of a name and picks the first match (↑↓ move, Enter files);
// - 分类建议 from the description while no category is chosen (POST /hotline/suggest);
// - shortcuts: Alt+P number, Alt+D description, Alt+C category search, Alt+S file, Ctrl+Enter in the description
//   files, Alt+N 下一个来电 on the page shown after filing.
(function () {
  const nextCall = document.querySelector('.hotline-filed form');
  const form = document.getElementById('hotline-form');

  function onAlt(handlers) {
    document.addEventListener('keydown', (e) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const handler = handlers[e.code];
      if (!handler) return;
      e.preventDefault();
      handler();
    });
  }

  if (nextCall) {
    onAlt({ KeyN: () => nextCall.submit() });
    return;
  }
  if (!form) return;

  const phone = document.getElementById('caller-phone');
  const description = document.getElementById('description');
  const search = document.getElementById('category-search');
  const select = document.getElementById('category');
  const chosen = document.getElementById('category-chosen');
  const submit = document.getElementById('hotline-submit');
  const history = document.getElementById('caller-history');
  const status = history.querySelector('.history-status');
  const list = history.querySelector('.history-list');
  const labels = JSON.parse(history.dataset.labels || '{}');
  const hint = status.textContent;

  // ---------------------------------------------------------------- submitting
  function send() {
    if (submit.disabled) return;
    form.requestSubmit(submit);
  }
  form.addEventListener('submit', () => {
    // a second Enter while the first is on its way files nothing new (same Idempotency-Key), but is not sent at all
    setTimeout(() => { submit.disabled = true; }, 0);
  });
  description.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    }
  });
  onAlt({
    KeyP: () => { phone.focus(); phone.select(); },
    KeyD: () => description.focus(),
    KeyC: () => { search.focus(); search.select(); },
    KeyS: send,
  });

  // ---------------------------------------------------------------- the caller's tickets
  function digitsOf(value) {
    let digits = value.replace(/\D/g, '');
    for (const prefix of ['0086', '86']) {
      if (digits.startsWith(prefix) && digits.length - prefix.length === 11 && digits[prefix.length] === '1') {
        digits = digits.slice(prefix.length);
      }
    }
    return digits;
  }

  let asked = '';
  function showTickets(answer) {
    list.textContent = '';
    if (!answer.tickets.length) {
      status.textContent = answer.caller + ' 暂无历史工单，是首次反映。';
      return;
    }
    status.textContent = answer.caller + ' 最近的 ' + answer.tickets.length + ' 条工单（新的在前）：';
    for (const t of answer.tickets) {
      const item = document.createElement('li');
      item.className = 'history-item';
      item.dataset.ticketId = t.id;
      const top = document.createElement('div');
      const badge = document.createElement('span');
      badge.className = 'badge ' + t.tone;
      badge.title = t.status_label;
      badge.textContent = t.status_short;
      const id = document.createElement('span');
      id.className = 'mono';
      id.textContent = ' ' + t.id;
      top.append(badge, id);
      const title = document.createElement('div');
      title.className = 'history-title';
      title.textContent = t.title;
      const meta = document.createElement('div');
      meta.className = 'row-meta';
      meta.textContent = [t.category_name, t.community_name, t.created].join(' · ');
      item.append(top, title, meta);
      list.append(item);
    }
  }

  function lookUp() {
    const digits = digitsOf(phone.value);
    if (digits.length < 11) {
      asked = '';
      list.textContent = '';
      status.textContent = hint;
      return;
    }
    if (digits === asked) return;
    asked = digits;
    status.textContent = '正在查询该号码的历史工单…';
    fetch(history.dataset.url + '?phone=' + encodeURIComponent(digits), { credentials: 'same-origin' })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (asked !== digits) return;
        if (ok) showTickets(body);
        else {
          list.textContent = '';
          status.textContent = '查询未成功：' + (body.detail || '请核对号码');
        }
      })
      .catch(() => {
        if (asked === digits) {
          asked = '';
          status.textContent = '历史工单暂时查不到，可以继续受理。';
        }
      });
  }
  phone.addEventListener('input', lookUp);
  if (phone.value) lookUp();

  // ---------------------------------------------------------------- category search
  const options = Array.from(select.options);
  function visible() {
    return options.filter((o) => !o.hidden);
  }
  function describeChoice() {
    const picked = select.selectedOptions[0];
    if (search.value.trim() && !visible().length) chosen.textContent = '没有名称含“' + search.value.trim() + '”的类别，将按描述推荐';
    else chosen.textContent = picked && picked.value ? '已选类别：' + picked.text : '';
  }
  function filter() {
    const query = search.value.trim().toLowerCase();
    for (const option of options) {
      const matches = !query || (option.value && (option.text.toLowerCase().includes(query) || option.value.includes(query)));
      option.hidden = !matches;
    }
    const first = visible()[0];
    select.value = query ? (first ? first.value : '') : select.value;
    describeChoice();
  }
  function move(step) {
    const shown = visible();
    if (!shown.length) return;
    const at = shown.findIndex((o) => o.value === select.value);
    select.value = shown[Math.max(0, Math.min(shown.length - 1, at + step))].value;
    describeChoice();
  }
  search.addEventListener('input', filter);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      move(e.key === 'ArrowDown' ? 1 : -1);
    }
  });
  select.addEventListener('change', describeChoice);
  if (search.value) filter();
  else describeChoice();

  // ---------------------------------------------------------------- 分类建议
  const suggestion = document.getElementById('category-suggestion');
  let timer = null;
  let suggested = '';
  function showSuggestion(top) {
    window.WhistleSuggestion.show(suggestion, labels, top, select, (chosen) => {
      search.value = '';
      filter();
      select.value = chosen.category;
      describeChoice();
      showSuggestion(chosen);
    });
  }
  function suggest() {
    const text = description.value.trim();
    if (text.length < 2 || text === suggested || select.value) return;
    suggested = text;
    window.WhistleSuggestion.ask(history.dataset.suggest, { title: '', description: text }).then((top) => {
      if (top !== undefined && suggested === text) showSuggestion(top);
    });
  }
  description.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 500);
  });
})();
