/**
 * The app store's stylesheet and its one small script, served as they are (no build step, no
 * CDN). The script only enhances: catalog filtering as you type, live status through
 * Server-Sent Events, "sync now" with the API token; every page works without it.
 */

/** Colours, with their contrast on white (WCAG AA needs 4.5:1 for text). */
export const PALETTE = {
  text: '#1b1f24', // 16.1:1
  muted: '#4a5260', // 7.6:1
  link: '#0b57d0', // 6.1:1
  goodText: '#0d652d', // on goodBg 6.6:1
  goodBg: '#e6f4ea',
  warnText: '#7a4a00', // on warnBg 7.3:1
  warnBg: '#fef3d0',
  badText: '#a50e0e', // on badBg 6.9:1
  badBg: '#fce8e6',
  neutralText: '#3c4043', // on neutralBg 9.3:1
  neutralBg: '#eceff1',
  border: '#8a94a3',
  focus: '#0b57d0',
} as const;

const P = PALETTE;

export const APP_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;font-size:100%;line-height:1.5;color:${P.text};background:#fff}
body{margin:0}
a{color:${P.link}}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible,[tabindex]:focus-visible{outline:3px solid ${P.focus};outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:2}
.skip:focus{left:.5rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.top{border-bottom:1px solid ${P.border};background:#f8f9fb}
.top nav{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;max-width:72rem;margin:0 auto;padding:.75rem 1rem}
.brand{font-weight:700;font-size:1.25rem;text-decoration:none;color:${P.text}}
.top ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}
.top a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
main{max-width:72rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.75rem;line-height:1.2;margin:.5rem 0 1rem}
h2{font-size:1.3rem;margin:1.5rem 0 .5rem}
.muted,.hint{color:${P.muted}}
.crumbs ol{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;padding:0;margin:0 0 .5rem}
.crumbs li+li::before{content:"/";margin-right:.25rem;color:${P.muted}}
.search{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:0 0 1rem}
.search div{display:flex;flex-direction:column;min-width:12rem;flex:1 1 12rem}
input,select,textarea,button{font:inherit;color:inherit}
input[type=text],input[type=search],input[type=number],input[type=password],input[type=email],input[type=date],select,textarea{width:100%;padding:.45rem .5rem;border:1px solid ${P.border};border-radius:4px;background:#fff}
textarea{min-height:6rem}
button,.button{display:inline-block;padding:.55rem 1.1rem;border:2px solid ${P.link};border-radius:4px;background:${P.link};color:#fff;font-weight:600;text-decoration:none;cursor:pointer}
button.secondary{background:#fff;color:${P.link}}
.cards{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
.card{border:1px solid ${P.border};border-radius:6px;padding:1rem;display:grid;grid-template-columns:3rem 1fr;gap:.25rem .75rem;align-content:start}
.card h2{font-size:1.1rem;margin:0;align-self:center}
.card p{grid-column:1/-1;margin:0}
.icon{width:3rem;height:3rem;object-fit:contain}
.icon-fallback{width:3rem;height:3rem;border-radius:6px;background:${P.neutralBg};color:${P.neutralText};display:flex;align-items:center;justify-content:center;font-weight:700;font-size:1.4rem}
.card[hidden]{display:none}
.template-head{display:grid;grid-template-columns:4rem 1fr;gap:1rem;align-items:center}
.template-head .icon,.template-head .icon-fallback{width:4rem;height:4rem}
.columns{display:grid;grid-template-columns:minmax(0,1fr);gap:2rem}
.columns>section{min-width:0}
main p,main li,main dd,label,legend{overflow-wrap:anywhere}
@media (min-width:60rem){.columns{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}}
.readme{overflow-wrap:anywhere}
.readme pre,pre.file{overflow-x:auto;background:#f5f6f8;padding:.75rem;border-radius:4px;border:1px solid #d5dae1}
fieldset{border:1px solid ${P.border};border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem 1rem;min-width:0}
legend{font-weight:700;padding:0 .25rem}
.field{margin:.9rem 0}
.field label{display:block;font-weight:600}
.field .hint,.field .error{margin:.1rem 0 .3rem;font-size:.95rem}
.field.check{display:grid;grid-template-columns:auto 1fr;gap:0 .5rem;align-items:start}
.field.check input{margin-top:.35rem;width:1.2rem;height:1.2rem}
.field.check .hint,.field.check .error{grid-column:2}
.req{color:${P.badText}}
.error{color:${P.badText};font-weight:600}
.has-error input,.has-error select,.has-error textarea{border:2px solid ${P.badText}}
.error-summary{border:3px solid ${P.badText};padding:.5rem 1rem;margin:0 0 1rem;border-radius:6px}
.error-summary h2{margin-top:.25rem}
.notice{border-left:5px solid ${P.link};background:#eef3fd;padding:.5rem 1rem;margin:1rem 0}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.9rem;font-weight:600;white-space:nowrap}
.badge.good{background:${P.goodBg};color:${P.goodText}}
.badge.warn{background:${P.warnBg};color:${P.warnText}}
.badge.bad{background:${P.badBg};color:${P.badText}}
.badge.neutral{background:${P.neutralBg};color:${P.neutralText}}
.table-wrap{overflow-x:auto;border:1px solid #d5dae1;border-radius:6px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e3e7ec;vertical-align:top}
th{background:#f5f6f8;font-weight:600}
td.num,th.num{text-align:right}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
ul.plain{list-style:none;padding:0;margin:0}
ul.events li{padding:.3rem 0;border-bottom:1px solid #e3e7ec}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
.sync{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:1rem 0}
.sync div{display:flex;flex-direction:column}
@media (max-width:40rem){
  h1{font-size:1.45rem}
  dl.facts{grid-template-columns:1fr}
  dl.facts dd{margin-bottom:.4rem}
  table.stack-list thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.stack-list tr{display:block;border-bottom:2px solid #d5dae1;padding:.4rem 0}
  table.stack-list td{display:block;border:0;padding:.1rem .6rem}
  table.stack-list td::before{content:attr(data-label) ": ";font-weight:600}
}
`;

export const APP_JS = `
'use strict';
(function () {
  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();

  // Catalog: filter the cards as you type or pick a category.
  var search = document.getElementById('q');
  var category = document.getElementById('category');
  var cards = document.querySelectorAll('.card[data-search]');
  var count = document.getElementById('count');
  function filter() {
    var words = (search ? search.value : '').toLowerCase().split(/\\s+/).filter(Boolean);
    var wanted = category ? category.value : '';
    var shown = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute('data-search') || '';
      var categories = (card.getAttribute('data-categories') || '').split('\\n');
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) && (!wanted || categories.indexOf(wanted) >= 0);
      card.hidden = !ok;
      if (ok) shown += 1;
    });
    if (count) count.textContent = shown + (shown === 1 ? ' template' : ' templates');
  }
  if (search && cards.length) {
    search.addEventListener('input', filter);
    if (category) category.addEventListener('change', filter);
  }

  // Live status: the server says when something changed; the page fetches its live part again.
  var live = document.getElementById('live');
  if (live && window.EventSource) {
    var busy = false, again = false;
    var refresh = function () {
      if (busy) { again = true; return; }
      busy = true;
      var url = new URL(window.location.href);
      url.searchParams.set('fragment', 'live');
      fetch(url.toString(), { headers: { accept: 'text/html' } }).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (text) {
        if (text === null) return;
        var focused = document.activeElement;
        var key = focused && live.contains(focused) ? focused.getAttribute('href') : null;
        live.innerHTML = text;
        live.setAttribute('data-updated', new Date().toISOString());
        var said = live.querySelector('[data-announce]');
        var announcer = document.getElementById('announcer');
        if (said && announcer && announcer.textContent !== said.textContent) announcer.textContent = said.textContent;
        if (key) { var again2 = live.querySelector('[href="' + CSS.escape(key) + '"]'); if (again2) again2.focus(); }
      }).catch(function () {}).then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    };
    var events = new EventSource('/live');
    events.addEventListener('status', refresh);
  }

  // Sync now, with the API token when the daemon needs one (kept for this tab only).
  var sync = document.getElementById('sync');
  if (sync) {
    var token = document.getElementById('api-token');
    var result = document.getElementById('sync-result');
    if (token && window.sessionStorage) token.value = sessionStorage.getItem('corral-api-token') || '';
    sync.addEventListener('submit', function (event) {
      event.preventDefault();
      var headers = {};
      if (token && token.value) {
        headers.authorization = 'Bearer ' + token.value;
        if (window.sessionStorage) sessionStorage.setItem('corral-api-token', token.value);
      }
      result.textContent = 'Asking for a sync…';
      fetch(sync.getAttribute('action'), { method: 'POST', headers: headers }).then(function (r) {
        if (r.status === 202) result.textContent = 'Sync requested at ' + new Date().toLocaleTimeString() + '.';
        else if (r.status === 401 || r.status === 403) result.textContent = 'Refused: the API token is missing or wrong.';
        else result.textContent = 'The daemon answered HTTP ' + r.status + '.';
      }).catch(function () { result.textContent = 'The daemon cannot be reached.'; });
    });
  }
})();
`;
