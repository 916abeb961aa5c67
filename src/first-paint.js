// The first paint, before the app's WebAssembly has loaded. index.html
// carries the shell and the course outline (written by `cargo xtask
// content`); this script, inlined into the page, makes it show the page the
// address names, as the app will draw it:
//  - the course (`#/`, `#/course`): the outline, with stored reading progress;
//  - a lesson (`#/course/SLUG`): the lesson page's frame (contents, title,
//    tag, the live panel's place, questions, neighbours), its text fetched at
//    once and shown when it arrives; the fetch is left in
//    `window.brokerlabPrefetch` for the app to take over (src/files.rs);
//  - any other page: the header over an empty page, never stale content.
// Controls are disabled until the app mounts; links work (they change the
// address, and this script follows it). The app removes `[data-prerender]`
// in the same task as it mounts (src/lib.rs), so no frame shows both.
// Trunk minifies this file into index.html: write characters such as · and
// ✓ as they are, not as \u escapes, which its minifier garbles.
(function () {
  'use strict';
  var root = document.querySelector('[data-prerender]');
  var data = document.getElementById('prerender-course');
  if (!root || !data) return;
  // Hidden until here, so that a browser without JavaScript shows only the
  // notice that Brokerlab needs it.
  root.hidden = false;
  var modules = JSON.parse(data.textContent);
  var main = root.querySelector('main');
  var outline = main.innerHTML;
  // Whether main still holds the outline as the page was parsed, which the
  // first paint of the course needs no copy of.
  var pristine = true;
  var nav = root.querySelectorAll('.site-header nav a');

  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }

  // Reading progress as src/course/progress.rs keeps it; anything it would
  // refuse reads as no progress.
  function progress() {
    var none = { read: [], solved: [], kept: true };
    try {
      var storage = window.localStorage;
      var file = JSON.parse(storage.getItem('brokerlab.progress') || 'null');
      // The app probes whether it may write; a refusal shows a notice.
      storage.setItem('brokerlab.probe', '1');
      storage.removeItem('brokerlab.probe');
      if (!file || file.format !== 'brokerlab-progress' || !(file.version <= 1)) return none;
      return { read: file.read || [], solved: file.solved || [], kept: true };
    } catch (e) {
      none.kept = false;
      return none;
    }
  }

  // Route::parse in src/route.rs.
  function route() {
    var address = location.hash.replace(/^#/, '').split('?');
    var path = address[0];
    var challenge = /(^|&)challenge=/.test(address[1] || '');
    var parts = path.split('/').filter(function (s) { return s !== ''; });
    if (parts.length === 0 || (parts.length === 1 && parts[0] === 'course')) return { page: 'course' };
    if (parts.length === 2 && parts[0] === 'course') return { page: 'lesson', slug: parts[1] };
    if (parts.length === 1 && parts[0] === 'playground') return { page: challenge ? 'challenges' : 'playground' };
    if (parts.length === 1 && parts[0] === 'challenges') return { page: 'challenges' };
    return { page: 'other' };
  }

  function markCurrent(page) {
    var current = { course: 0, lesson: 0, playground: 1, challenges: 2 }[page];
    for (var i = 0; i < nav.length; i++) {
      if (i === current) nav[i].setAttribute('aria-current', 'page');
      else nav[i].removeAttribute('aria-current');
    }
  }

  function course() {
    var p = progress();
    if (!pristine) main.innerHTML = outline;
    pristine = false;
    var total = 0;
    var readTotal = 0;
    modules.forEach(function (m) {
      var read = 0;
      m.lessons.forEach(function (l) {
        total += 1;
        if (p.read.indexOf(l.slug) < 0) return;
        read += 1;
        var link = main.querySelector('a[href="#/course/' + l.slug + '"]');
        var item = link && link.parentNode;
        if (!item) return;
        item.className = 'read';
        var mark = document.createElement('span');
        mark.className = 'read-mark';
        mark.textContent = ' ✓ read';
        item.insertBefore(mark, item.querySelector('.summary'));
      });
      readTotal += read;
      var count = main.querySelector('#module-' + m.number + ' + .module-progress');
      if (count) count.textContent = read + ' / ' + m.lessons.length + ' read';
    });
    main.querySelector('#overall-progress').setAttribute('value', String(readTotal));
    main.querySelector('.overall span').textContent = readTotal + ' / ' + total + ' read';
    if (!p.kept) {
      main.querySelector('.overall').insertAdjacentHTML('afterend',
        '<p class="notice" role="status">This browser is not letting Brokerlab store data, so your progress will not be kept after this visit. Export it to keep a copy.</p>');
    }
    document.title = 'Course · Brokerlab';
  }

  // The lesson page of src/pages/lesson.rs, before its text has arrived.
  function lesson(slug) {
    var all = [];
    modules.forEach(function (m) { m.lessons.forEach(function (l) { all.push({ m: m, l: l }); }); });
    var at = -1;
    all.forEach(function (e, i) { if (e.l.slug === slug) at = i; });
    if (at < 0) return empty();
    pristine = false;
    var m = all[at].m;
    var l = all[at].l;
    var p = progress();
    var read = p.read.indexOf(slug) >= 0;
    var toc = modules.map(function (mod) {
      return '<p class="toc-module">' + mod.number + '. ' + esc(mod.title) + '</p><ol>' + mod.lessons.map(function (x) {
        return '<li><a href="#/course/' + esc(x.slug) + '"' + (x.slug === slug ? ' aria-current="page"' : '') + '>' + esc(x.title) + '</a></li>';
      }).join('') + '</ol>';
    }).join('');
    var step = function (e, rel, label) {
      return e ? '<a class="step step-' + rel + '" rel="' + rel + '" href="#/course/' + esc(e.l.slug) + '"><span class="step-label">' + label
        + '</span><span class="step-title">' + esc(e.l.title) + '</span></a>' : '';
    };
    var practise = l.practise.length ? '<aside class="practise" aria-labelledby="practise-heading"><h2 id="practise-heading">Practise this</h2><ul>'
      + l.practise.map(function (c) {
        return '<li><a href="#/playground?challenge=' + esc(c[0]) + '">' + esc(c[1]) + '</a> <span class="tag">' + esc(c[2]) + '</span>'
          + (p.solved.indexOf(c[0]) >= 0 ? '<span class="read-mark"> ✓ solved</span>' : '') + '</li>';
      }).join('') + '</ul></aside>' : '';
    main.innerHTML = '<div class="page lesson-layout"><nav class="toc" aria-label="Course contents">' + toc + '</nav>'
      + '<article class="lesson" aria-labelledby="lesson-title">'
      + '<p class="eyebrow">Module ' + m.number + ': ' + esc(m.title) + '</p>'
      + '<h1 id="lesson-title">' + esc(l.title) + '</h1>'
      + '<p class="lesson-meta"><span class="tag tag-' + l.tag.toLowerCase() + '">' + esc(l.tag) + '</span>'
      + '<button type="button" class="mark-read" aria-pressed="' + read + '" disabled><span aria-hidden="true">' + (read ? '✓ ' : '')
      + '</span>Mark as read</button>'
      + (l.live ? '<button type="button" class="try-it try-it-top" aria-haspopup="dialog" disabled>Try it</button>' : '') + '</p>'
      + '<p class="loading" role="status">Loading the lesson…</p>'
      + (l.live ? '<section class="live-column" role="complementary" aria-label="Live scenarios" tabindex="-1"><p class="island-status loading" role="status">'
        + 'Starting the broker engines…</p><div class="island"></div></section>' : '')
      + '<div class="lesson-after"><section class="quiz" aria-labelledby="quiz-title"><h2 id="quiz-title">Check yourself</h2>'
      + '<p class="loading" role="status">Loading the questions…</p></section>' + practise + '</div>'
      + '<nav class="steps" aria-label="Previous and next lessons">' + step(all[at - 1], 'prev', 'Previous') + step(all[at + 1], 'next', 'Next')
      + '</nav></article></div>';
    document.title = l.title + ' · Brokerlab';

    var url = 'lessons/' + slug + '.html';
    var prefetch = window.brokerlabPrefetch;
    if (!prefetch || prefetch.url !== url) {
      prefetch = { url: url, text: null, promise: null };
      prefetch.promise = fetch(url).then(function (r) {
        if (!r.ok) throw new Error('the server answered ' + r.status + ' ' + r.statusText);
        return r.text();
      }).then(function (text) {
        prefetch.text = text;
        return text;
      });
      window.brokerlabPrefetch = prefetch;
    }
    var shown = main.innerHTML;
    prefetch.promise.then(function (text) {
      // Only into the frame it was fetched for, and only while there is no app.
      if (!root.isConnected || window.brokerlabPrefetch !== prefetch || main.innerHTML !== shown) return;
      var loading = main.querySelector('.lesson > .loading');
      var prose = document.createElement('div');
      prose.className = 'prose';
      prose.innerHTML = text;
      loading.replaceWith(prose);
    }, function (error) {
      if (!root.isConnected || window.brokerlabPrefetch !== prefetch || main.innerHTML !== shown) return;
      main.querySelector('.lesson > .loading').outerHTML = '<div class="load-error" role="alert"><p>This lesson\'s text could not be loaded: '
        + esc(error.message || 'the network request failed') + '</p><button type="button" disabled>Try again</button></div>';
    });
  }

  function empty() {
    pristine = false;
    main.innerHTML = '';
  }

  function show() {
    if (!root.isConnected) return;
    var r = route();
    markCurrent(r.page);
    if (r.page === 'course') course();
    else if (r.page === 'lesson') lesson(r.slug);
    else empty();
  }

  show();
  window.addEventListener('hashchange', show);
  root.querySelector('.skip-link').addEventListener('click', function (ev) {
    ev.preventDefault();
    var h1 = main.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus(); }
  });
})();
