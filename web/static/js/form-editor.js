// The studio's form editor: the JSON Schema in a text area, its preview redrawn by the server
// with the task page's own renderer (web/forms.py) as the owner types, and saving as a draft.
const root = document.querySelector('[data-form-editor]');
const schema = root.querySelector('[data-schema]');
const preview = root.querySelector('[data-preview]');
const status = root.querySelector('[data-status]');
let revision = Number(root.dataset.revision || 0);
let timer = null;

function post(url, body) {
  return fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': root.dataset.csrf },
    body: JSON.stringify(body),
  });
}

function lineStart(text, line) {
  let index = 0;
  for (let i = 1; i < line && index !== -1; i += 1) index = text.indexOf('\n', index) + 1;
  return Math.max(index, 0);
}

function showProblems(problems) {
  const list = root.querySelector('[data-problem-list]');
  list.replaceChildren();
  for (const problem of problems) {
    const item = document.createElement('li');
    item.className = `problem-${problem.severity}`;
    item.textContent = `${problem.file}${problem.line ? `, línea ${problem.line}` : ''}: ${problem.message}`;
    if (problem.line) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link-button';
      button.textContent = `Ir a la línea ${problem.line}`;
      button.addEventListener('click', () => {
        const start = lineStart(schema.value, problem.line);
        schema.focus();
        schema.setSelectionRange(start, schema.value.indexOf('\n', start) === -1 ? schema.value.length : schema.value.indexOf('\n', start));
      });
      item.append(' ', button);
    }
    list.append(item);
  }
  root.querySelector('[data-problem-count]').textContent = problems.length
    ? `${problems.length} problema(s) por resolver.`
    : 'Sin problemas.';
}

async function refresh() {
  const answer = await post(root.dataset.previewUrl, { contenido: schema.value });
  if (!answer.ok) return;
  const body = await answer.json();
  preview.innerHTML = body.html; // drawn and escaped by the server's templates
  showProblems(body.problemas);
  root.dataset.previewed = String(Number(root.dataset.previewed || 0) + 1);
}

schema.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(refresh, 400);
});

root.querySelector('[data-save]').addEventListener('click', async () => {
  status.textContent = 'Guardando…';
  const answer = await post(root.dataset.saveUrl, { contenido: schema.value, revision });
  const body = await answer.json().catch(() => ({ mensaje: 'Respuesta inesperada del servidor.' }));
  status.textContent = body.mensaje;
  if (answer.ok) {
    revision = body.revision;
    showProblems(body.problemas || []);
  }
});
root.dataset.ready = 'true';
preview.addEventListener('submit', (event) => event.preventDefault()); // a preview sends nothing
