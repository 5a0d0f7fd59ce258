(() => {
  const form = document.getElementById('run'), out = document.getElementById('run-status');
  // a failure or a refusal goes to an alert region (read out at once), progress to the status line
  const alert = document.getElementById('run-error');
  const buttons = form.querySelectorAll('button');
  let busy = false;  // while a run goes on the buttons are aria-disabled, not disabled: a
  // disabled button loses the keyboard focus (WCAG 2.4.3), and the user's place with it
  const fail = (text) => { say(''); alert.textContent = text; };
  // the status line is a live region: a screen reader speaks every change, so the same
  // progress polled each second is not written again (it would be read out each time)
  const say = (text) => { if (out.textContent !== text) { out.textContent = text; } };
  const poll = async () => {  // the run's progress in the status line; whether one is going
    try {
      const s = await (await fetch('/api/run')).json();
      if (s.running) {
        const done = s.total ? ` (${s.completed || 0}/${s.total})` : '';
        say(`Running ${s.stages.join(', ')}: ${s.step || 'starting'}${done}…`);
      }
      return s.running;
    } catch (e) { return null; /* the run's own answer says what went wrong */ }
  };
  const run = async (stages) => {
    if (busy) { return; }
    busy = true;
    buttons.forEach((b) => { b.setAttribute('aria-disabled', 'true'); });
    alert.textContent = '';
    say('Starting…');
    const timer = setInterval(poll, 1000);
    try {
      const res = await fetch('/api/run', {method: 'POST', body: JSON.stringify(stages),
                                           headers: {'Content-Type': 'application/json'}});
      if (res.ok) { location.reload(); return; }
      let detail = `${res.status} ${res.statusText}: the terminal running carecase web shows why`;
      try { detail = (await res.json()).detail || detail; } catch (e) { /* not JSON */ }
      fail(res.status === 409 ? `Not run: ${detail}`
        : `The run did not finish: ${detail}\nReload the page to see each stage's results now.`);
    } catch (e) {
      fail(`No answer from the app (${e}): is carecase web still running?`);
    } finally {
      clearInterval(timer);
      busy = false;
      buttons.forEach((b) => { b.removeAttribute('aria-disabled'); });
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ticked = Array.from(document.querySelectorAll("input[name=stage]:checked"), (b) => b.value);
    if (ticked.length === 0) { fail('Tick the stages to run, or run every stage.'); return; }
    run(ticked);
  });
  document.getElementById('run-all').addEventListener('click', () => run(null));
  if (form.dataset.running) {  // a run started elsewhere (another tab): reload when it ends
    const watch = setInterval(async () => {
      if (await poll() === false) { clearInterval(watch); location.reload(); }
    }, 1000);
  }
})();
