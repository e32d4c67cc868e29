// The decision table editor of the studio (dmn-js, decision table view only: nothing else of
// dmn-js is bundled). Saving posts the XML as a draft; the server validates it with the engine
// and answers with the problems, each marked on its cell and row and listed with a jump to it.
import Manager from 'dmn-js-shared/lib/base/Manager';
import EditingManager from 'dmn-js-shared/lib/base/EditingManager';
import DecisionTableEditor from 'dmn-js-decision-table/lib/Editor';
import DecisionTableViewer from 'dmn-js-decision-table/lib/Viewer';
import { is } from 'dmn-js-shared/lib/util/ModelUtil';
import { wireSave } from './draft-save';
import translateModule from './translate';

const opensTable = (element) => is(element, 'dmn:Decision') && is(element.decisionLogic, 'dmn:DecisionTable');

class TableModeler extends EditingManager {
  _getViewProviders() {
    return [{ id: 'decisionTable', constructor: DecisionTableEditor, opens: opensTable }];
  }
}

// Administrators read the tables: the same view, without editing.
class TableViewer extends Manager {
  _getViewProviders() {
    return [{ id: 'decisionTable', constructor: DecisionTableViewer, opens: opensTable }];
  }
}

function cellOf(root, id) {
  return root.querySelector(`[data-table] [data-element-id="${CSS.escape(id)}"]`);
}

function showProblems(root, problems) {
  root.querySelectorAll('.cell-error, .row-error').forEach((node) => node.classList.remove('cell-error', 'row-error'));
  const list = root.querySelector('[data-problem-list]');
  list.replaceChildren();
  for (const problem of problems) {
    const item = document.createElement('li');
    item.className = problem.severity === 'warning' ? 'problem-warning' : 'problem-error';
    const where = [problem.file, problem.line && `línea ${problem.line}`].filter(Boolean).join(', ');
    item.textContent = `${where ? `${where}: ` : ''}${problem.message}`;
    const cell = problem.element_id && cellOf(root, problem.element_id);
    if (cell) {
      cell.classList.add('cell-error');
      cell.closest('tr')?.classList.add('row-error');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link-button';
      button.textContent = 'Ir a la celda';
      button.addEventListener('click', () => {
        cell.scrollIntoView({ block: 'center' });
        cell.focus?.();
      });
      item.append(' ', button);
    }
    list.append(item);
  }
  root.querySelector('[data-problem-count]').textContent = problems.length
    ? `${problems.length} problema(s) por resolver.`
    : 'Sin problemas.';
}

async function mount(root) {
  const readOnly = root.dataset.readonly === 'true';
  const modeler = new (readOnly ? TableViewer : TableModeler)({
    container: root.querySelector('[data-table]'),
    decisionTable: { additionalModules: [translateModule] },
  });
  const response = await fetch(root.dataset.src, { credentials: 'same-origin' });
  await modeler.importXML(await response.text());
  const problems = JSON.parse(root.dataset.problems || '[]');
  const chooser = root.querySelector('[data-views]');
  const views = modeler.getViews();
  if (views.length > 1) {
    for (const view of views) {
      const option = new Option(view.element.name || view.element.id, view.element.id);
      chooser.querySelector('select').append(option);
    }
    chooser.hidden = false;
    chooser.querySelector('select').addEventListener('change', async (event) => {
      await modeler.open(views.find((v) => v.element.id === event.target.value));
      showProblems(root, problems);
    });
  }
  showProblems(root, problems);
  wireSave(root, modeler, (found) => {
    problems.splice(0, problems.length, ...found);
    showProblems(root, problems);
  });
  modeler.on('views.changed', () => showProblems(root, problems));
  root.dataset.ready = 'true';
  window.atencionTables = modeler; // for the browser tests
}

document.querySelectorAll('[data-dmn-editor]').forEach((root) => {
  mount(root).catch(() => {
    root.querySelector('[data-status]').textContent = 'No fue posible abrir la tabla de decisión.';
  });
});
