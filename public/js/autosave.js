/*
 * Progressive enhancement for the supplier's questionnaire: saves changed answers in the background about 1.5 s
 * after the last change and when the page is left, and reports "Saving… / Saved" in a live region. The form works
 * the same without this script (plain POST per section).
 */
(function () {
  'use strict';

  var SAVE_DELAY_MS = 1500;

  function setUpPrintButtons() {
    var buttons = document.querySelectorAll('[data-print]');
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener('click', function () { window.print(); });
    });
  }

  function questionIdOf(element) {
    var match = /^answers\[([a-z0-9_]+)\]$/.exec(element.name || '');
    return match ? match[1] : null;
  }

  function setUpAutosave(form) {
    var url = form.getAttribute('data-autosave-url');
    var sectionId = form.getAttribute('data-section-id');
    var status = document.getElementById('form-status');
    var csrfInput = form.querySelector('input[name="_csrf"]');
    var renderedInput = form.querySelector('input[name="_rendered"]');
    if (!url || !sectionId || !status || !csrfInput || !window.fetch || !window.JSON) return;

    var dirty = {};
    var timer = null;
    var submitting = false;

    function message(kind) {
      return form.getAttribute('data-msg-' + kind) || '';
    }

    function showStatus(kind, text) {
      status.textContent = '';
      var paragraph = document.createElement('p');
      paragraph.className = 'notice autosave-status autosave-status--' + kind + (kind === 'failed' || kind === 'offline' ? ' notice--error' : '');
      paragraph.textContent = text || message(kind);
      status.appendChild(paragraph);
    }

    function valueOf(id) {
      var inputs = form.querySelectorAll('[name="answers[' + id + ']"]');
      if (inputs.length === 0) return undefined;
      var first = inputs[0];
      if (first.type === 'checkbox') {
        return Array.prototype.filter.call(inputs, function (input) { return input.checked; }).map(function (input) { return input.value; });
      }
      if (first.type === 'radio') {
        var checked = Array.prototype.filter.call(inputs, function (input) { return input.checked; })[0];
        return checked ? checked.value : '';
      }
      return first.value;
    }

    function fieldError(id, text) {
      var question = document.getElementById('question-' + id);
      if (!question) return;
      var errorId = 'q-' + id + '-error';
      var error = document.getElementById(errorId);
      var inputs = question.querySelectorAll('[name="answers[' + id + ']"]');
      var described = question.querySelector('fieldset') || inputs[0];
      if (text) {
        if (!error) {
          error = document.createElement('p');
          error.className = 'field__error';
          error.id = errorId;
          var label = question.querySelector('.field__hint') || question.querySelector('legend, label');
          label.parentNode.insertBefore(error, label.nextSibling);
        }
        error.textContent = text;
        question.classList.add('question--error');
        Array.prototype.forEach.call(inputs, function (input) { input.setAttribute('aria-invalid', 'true'); });
        if (described) {
          var ids = (described.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
          if (ids.indexOf(errorId) < 0) ids.push(errorId);
          described.setAttribute('aria-describedby', ids.join(' '));
        }
      } else if (error) {
        error.parentNode.removeChild(error);
        question.classList.remove('question--error');
        Array.prototype.forEach.call(inputs, function (input) { input.removeAttribute('aria-invalid'); });
        if (described) {
          var rest = (described.getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x !== errorId; });
          if (rest.length > 0) described.setAttribute('aria-describedby', rest.join(' '));
          else described.removeAttribute('aria-describedby');
        }
      }
    }

    function updateProgress(progress) {
      if (!Array.isArray(progress)) return;
      progress.forEach(function (item) {
        var element = document.querySelector('[data-progress-for="' + item.id + '"]');
        if (element && typeof item.text === 'string') element.textContent = item.text;
        var row = element && element.closest('.section-nav__item');
        if (row) row.classList.toggle('section-nav__item--complete', item.complete === true);
      });
    }

    /** Shows the questions the server now counts as visible, hides the others and clears what they held. */
    function applyVisibility(visible) {
      if (!Array.isArray(visible)) return false;
      var appeared = false;
      var questions = form.querySelectorAll('.question[data-question]');
      Array.prototype.forEach.call(questions, function (question) {
        var shown = visible.indexOf(question.getAttribute('data-question')) >= 0;
        if (shown && question.hidden) appeared = true;
        if (!shown && !question.hidden) {
          Array.prototype.forEach.call(question.querySelectorAll('input, select, textarea'), function (input) {
            if (input.type === 'radio' || input.type === 'checkbox') input.checked = false;
            else if (input.type !== 'hidden' && input.type !== 'file') input.value = '';
          });
        }
        question.hidden = !shown;
      });
      return appeared;
    }

    /** Shows the document requests the server says the answers now ask for, and hides the others. */
    function applyEvidence(requested) {
      if (!Array.isArray(requested)) return false;
      var appeared = false;
      var blocks = form.querySelectorAll('[data-evidence-for]');
      Array.prototype.forEach.call(blocks, function (block) {
        var shown = requested.indexOf(block.getAttribute('data-evidence-for')) >= 0;
        if (shown && block.hidden) appeared = true;
        block.hidden = !shown;
      });
      return appeared;
    }

    function flush(leaving) {
      if (timer) { clearTimeout(timer); timer = null; }
      var ids = Object.keys(dirty);
      if (ids.length === 0 || submitting) return;
      var answers = {};
      ids.forEach(function (id) { answers[id] = valueOf(id); });
      dirty = {};
      showStatus('saving');
      var request = fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        keepalive: leaving === true,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'x-csrf-token': csrfInput.value },
        body: JSON.stringify({ sectionId: sectionId, answers: answers }),
      });
      request
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
        })
        .then(function (result) {
          if (result.ok) {
            ids.forEach(function (id) { fieldError(id, null); });
            if (renderedInput && result.body.savedAt) renderedInput.value = result.body.savedAt;
            updateProgress(result.body.progress);
            var moreQuestions = applyVisibility(result.body.visible);
            var moreDocuments = applyEvidence(result.body.evidence);
            showStatus(moreQuestions || moreDocuments ? 'more' : 'saved');
            return;
          }
          var fields = (result.body && result.body.error && result.body.error.fields) || {};
          ids.forEach(function (id) { fieldError(id, fields[id] || null); });
          var text = result.status === 422 ? message('failed') : (result.body && result.body.error && result.body.error.message) || message('failed');
          showStatus('failed', text);
        })
        .catch(function () {
          ids.forEach(function (id) { dirty[id] = true; });
          showStatus('offline');
        });
    }

    function onChange(event) {
      var id = questionIdOf(event.target);
      if (!id) return;
      dirty[id] = true;
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { flush(false); }, SAVE_DELAY_MS);
    }

    form.addEventListener('input', onChange);
    form.addEventListener('change', onChange);
    // A normal form post carries every answer; a background save racing it would only duplicate it.
    form.addEventListener('submit', function () {
      submitting = true;
      if (timer) { clearTimeout(timer); timer = null; }
    });
    window.addEventListener('pagehide', function () { flush(true); });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') flush(true);
    });
    window.addEventListener('pageshow', function () { submitting = false; });
  }

  /** After a refused save the error summary takes focus, so keyboard and screen reader users land on it. */
  function focusErrorSummary() {
    var summary = document.getElementById('error-summary');
    if (summary && !window.location.hash) summary.focus();
  }

  setUpPrintButtons();
  focusErrorSummary();
  var form = document.querySelector('form[data-autosave-url]');
  if (form) setUpAutosave(form);
})();
