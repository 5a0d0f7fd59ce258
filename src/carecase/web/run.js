(() => {
  const form = document.getElementById('run'), out = document.getElementById('run-status');
  const buttons = form.querySelectorAll('button');
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
    buttons.forEach((b) => { b.disabled = true; });
    say('Starting…');
    const timer = setInterval(poll, 1000);
    try {
      const res = await fetch('/api/run', {method: 'POST', body: JSON.stringify(stages),
                                           headers: {'Content-Type': 'application/json'}});
      if (res.ok) { location.reload(); return; }
      let detail = `${res.status} ${res.statusText}: the terminal running carecase web shows why`;
      try { detail = (await res.json()).detail || detail; } catch (e) { /* not JSON */ }
      out.textContent = res.status === 409 ? `Not run: ${detail}`
        : `The run did not finish: ${detail}\nReload the page to see each stage's results now.`;
    } catch (e) {
      out.textContent = `No answer from the app (${e}): is carecase web still running?`;
    } finally {
      clearInterval(timer);
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const ticked = Array.from(document.querySelectorAll("input[name=stage]:checked"), (b) => b.value);
    if (ticked.length === 0) { out.textContent = 'Tick the stages to run, or run every stage.'; return; }
    run(ticked);
  });
  document.getElementById('run-all').addEventListener('click', () => run(null));
  if (form.dataset.running) {  // a run started elsewhere (another tab): reload when it ends
    const watch = setInterval(async () => {
      if (await poll() === false) { clearInterval(watch); location.reload(); }
    }, 1000);
  }
})();
