// The process owners' modeler: bpmn-js with the properties panel, our extension attributes
// (spiffworkflow moddle) and a group for our conventions. Saving posts the XML as a draft; the
// server validates it and answers with the problems, drawn on their elements and listed.
import Modeler from 'bpmn-js/lib/Modeler';
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import AtencionPropertiesProvider from './atencion-properties';
import { applyMarks, clearMarks } from './marks';
import spiffworkflow from './spiffworkflow.json';
import { wireSave } from './draft-save';
import translateModule from './translate';

const atencionModule = {
  __init__: ['atencionPropertiesProvider'],
  atencionPropertiesProvider: ['type', AtencionPropertiesProvider],
};

function showProblems(modeler, root, problems) {
  clearMarks(modeler);
  const list = root.querySelector('[data-problem-list]');
  list.replaceChildren();
  const marks = { error: [], warning: [], badges: [] };
  for (const problem of problems) {
    const item = document.createElement('li');
    item.className = problem.severity === 'warning' ? 'problem-warning' : 'problem-error';
    const where = [problem.file, problem.line && `línea ${problem.line}`].filter(Boolean).join(', ');
    item.textContent = `${where ? `${where}: ` : ''}${problem.message}`;
    if (problem.element_id && modeler.get('elementRegistry').get(problem.element_id)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link-button';
      const target = modeler.get('elementRegistry').get(problem.element_id);
      const named = target.businessObject.name;
      const from = target.source?.businessObject.name;
      if (target.waypoints) {
        button.textContent = `Ir al flujo${named ? ` «${named}»` : ''}${from ? ` de «${from}»` : ''}`;
      } else {
        button.textContent = named ? `Ir a «${named}»` : 'Ir al elemento';
      }
      button.addEventListener('click', () => {
        const element = modeler.get('elementRegistry').get(problem.element_id);
        modeler.get('selection').select(element);
        modeler.get('canvas').scrollToElement(element);
      });
      item.append(' ', button);
      const severity = problem.severity === 'warning' ? 'warning' : 'error';
      marks[severity].push(problem.element_id);
      marks.badges.push({ id: problem.element_id, text: '!', kind: 'error' });
      // A flow's condition is read by its gateway: mark the gateway too, where owners look.
      const source = modeler.get('elementRegistry').get(problem.element_id).source;
      if (source && is(source, 'bpmn:Gateway')) {
        marks[severity].push(source.id);
        marks.badges.push({ id: source.id, text: '!', kind: 'error' });
      }
    }
    list.append(item);
  }
  applyMarks(modeler, marks);
  root.querySelector('[data-problem-count]').textContent = problems.length
    ? `${problems.length} problema(s) por resolver.`
    : 'Sin problemas.';
}

async function mount(root) {
  const modeler = new Modeler({
    container: root.querySelector('[data-canvas]'),
    propertiesPanel: { parent: root.querySelector('[data-panel]') },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      atencionModule,
      translateModule,
    ],
    moddleExtensions: { spiffworkflow },
  });
  const response = await fetch(root.dataset.src, { credentials: 'same-origin' });
  await modeler.importXML(await response.text());
  modeler.get('canvas').zoom('fit-viewport');
  showProblems(modeler, root, JSON.parse(root.dataset.problems || '[]'));
  wireSave(root, modeler, (problems) => showProblems(modeler, root, problems));
  root.dataset.ready = 'true';
  window.atencionModeler = modeler; // for the browser tests
}

document.querySelectorAll('[data-bpmn-modeler]').forEach((root) => {
  mount(root).catch(() => {
    root.querySelector('[data-status]').textContent = 'No fue posible abrir el diagrama.';
  });
});
