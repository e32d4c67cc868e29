// The studio editors' «Guardar borrador»: the diagram or table as XML, posted with the draft's
// revision (an outdated one gets the server's conflict message) and the CSRF token; the
// answer's message goes to the status line, its problems to ``onSaved``.
export function wireSave(root, modeler, onSaved) {
  const status = root.querySelector('[data-status]');
  let revision = Number(root.dataset.revision || 0);
  root.querySelector('[data-save]')?.addEventListener('click', async () => {
    status.textContent = 'Guardando…';
    const { xml } = await modeler.saveXML({ format: true });
    const answer = await fetch(root.dataset.saveUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': root.dataset.csrf },
      body: JSON.stringify({ contenido: xml, revision }),
    });
    const body = await answer.json().catch(() => ({ mensaje: 'Respuesta inesperada del servidor.' }));
    status.textContent = body.mensaje;
    if (answer.ok) {
      revision = body.revision;
      onSaved(body.problemas || []);
    }
  });
}
