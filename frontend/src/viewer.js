// A read-only diagram with marks: where a case is now, where it went (with counts), incidents and
// timers. Mounted on <div data-bpmn-viewer data-src="…xml" data-marks='{…}'>; marks.focus names
// the elements to start close to when the diagram is large (the heatmap's slowest steps).
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { applyMarks } from './marks';
import translateModule from './translate';

async function mount(node) {
  const viewer = new NavigatedViewer({ container: node, additionalModules: [translateModule] });
  const response = await fetch(node.dataset.src, { credentials: 'same-origin' });
  await viewer.importXML(await response.text());
  const canvas = viewer.get('canvas');
  canvas.zoom('fit-viewport');
  const marks = JSON.parse(node.dataset.marks || '{}');
  applyMarks(viewer, marks);
  // Large diagrams: start close to where the case is now (or to the first change, when comparing
  // versions) rather than at a thumbnail.
  const here = [...(marks.focus || []), ...(marks.incident || []), ...(marks.current || []), ...(marks.changed || []), ...(marks.added || [])]
    .map((id) => viewer.get('elementRegistry').get(id)).find(Boolean);
  if (here && canvas.zoom() < 0.6) {
    const center = here.waypoints  // a flow: its first bend
      ? here.waypoints[0]
      : { x: here.x + here.width / 2, y: here.y + here.height / 2 };
    canvas.zoom(0.8, center);
    if (!here.waypoints) canvas.scrollToElement(here);
  }
  node.dataset.ready = 'true';
}

document.querySelectorAll('[data-bpmn-viewer]').forEach((node) => {
  mount(node).catch(() => {
    node.textContent = 'No fue posible dibujar el diagrama.';
  });
});
