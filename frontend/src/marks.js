// Marks on diagram elements, shared by the console's viewer and the studio's problem overlays.
// marks = { current: [id], incident: [id], error: [id], warning: [id], added: [id], changed: [id],
//           visited: { id: count }, badges: [{ id, text, kind }] }
export function applyMarks(diagram, marks) {
  const canvas = diagram.get('canvas');
  const registry = diagram.get('elementRegistry');
  const overlays = diagram.get('overlays');
  const known = (id) => registry.get(id);
  for (const kind of ['current', 'incident', 'error', 'warning', 'added', 'changed']) {
    for (const id of marks[kind] || []) {
      if (known(id)) canvas.addMarker(id, `mark-${kind}`);
    }
  }
  for (const [id, count] of Object.entries(marks.visited || {})) {
    if (!known(id)) continue;
    canvas.addMarker(id, 'mark-visited');
    if (count > 1) marks.badges = [...(marks.badges || []), { id, text: `×${count}` }];
  }
  for (const badge of marks.badges || []) {
    if (!known(badge.id)) continue;
    const html = document.createElement('span');
    html.className = `diagram-badge ${badge.kind || ''}`;
    html.textContent = badge.text;
    overlays.add(badge.id, 'marks', { position: { top: -12, right: 12 }, html });
  }
}

export function clearMarks(diagram) {
  const canvas = diagram.get('canvas');
  diagram.get('overlays').remove({ type: 'marks' });
  for (const element of diagram.get('elementRegistry').getAll()) {
    for (const kind of ['current', 'incident', 'error', 'warning', 'visited', 'added', 'changed']) {
      canvas.removeMarker(element.id, `mark-${kind}`);
    }
  }
}
