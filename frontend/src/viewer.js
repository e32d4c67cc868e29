// A read-only diagram with marks: where a case is now, where it went (with counts), incidents and
// timers. Mounted on <div data-bpmn-viewer data-src="…xml" data-marks='{…}'>.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { applyMarks } from './marks';
import translateModule from './translate';

async function mount(node) {
  const viewer = new NavigatedViewer({ container: node, additionalModules: [translateModule] });
  const response = await fetch(node.dataset.src, { credentials: 'same-origin' });
  await viewer.importXML(await response.text());
  viewer.get('canvas').zoom('fit-viewport');
  applyMarks(viewer, JSON.parse(node.dataset.marks || '{}'));
  node.dataset.ready = 'true';
}

document.querySelectorAll('[data-bpmn-viewer]').forEach((node) => {
  mount(node).catch(() => {
    node.textContent = 'No fue posible dibujar el diagrama.';
  });
});
