// The properties panel group for our conventions (docs/bpmn-conventions.md): form, candidate
// group and milestone of user tasks, service operators and their parameters, scripts, gateway
// conditions and decision tables. Values are kept where the engine reads them, so a diagram
// saved here runs unchanged.
import { TextAreaEntry, TextFieldEntry, isTextFieldEntryEdited, isTextAreaEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

const PROPERTY_LABELS = {
  formJsonSchemaFilename: 'Formulario (archivo en forms/)',
  candidateGroup: 'Grupo candidato (expresión)',
  hito: 'Hito que registra en el caso',
};

function extension(element, type) {
  const values = getBusinessObject(element).extensionElements?.values || [];
  return values.find((value) => is(value, type));
}

// Creates extensionElements and the extension element itself when missing; returns it.
function ensureExtension(element, type, injector) {
  const modeling = injector.get('modeling');
  const factory = injector.get('bpmnFactory');
  const bo = getBusinessObject(element);
  let container = bo.extensionElements;
  if (!container) {
    container = factory.create('bpmn:ExtensionElements', { values: [] });
    modeling.updateProperties(element, { extensionElements: container });
  }
  let found = container.values.find((value) => is(value, type));
  if (!found) {
    found = factory.create(type);
    modeling.updateModdleProperties(element, container, { values: [...container.values, found] });
  }
  return found;
}

function propertyEntry(element, name) {
  return {
    id: `av-${name}`,
    component: PropertyField,
    element,
    name,
    isEdited: isTextFieldEntryEdited,
  };
}

function PropertyField({ element, name, id }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const read = () => extension(element, 'spiffworkflow:Properties')
    ?.properties?.find((p) => p.name === name)?.value || '';
  const write = (value) => {
    const modeling = injector.get('modeling');
    const properties = ensureExtension(element, 'spiffworkflow:Properties', injector);
    const list = properties.properties || [];
    const existing = list.find((p) => p.name === name);
    if (existing) {
      modeling.updateModdleProperties(element, existing, { value });
    } else {
      const created = injector.get('bpmnFactory').create('spiffworkflow:Property', { name, value });
      modeling.updateModdleProperties(element, properties, { properties: [...list, created] });
    }
  };
  return h(TextFieldEntry, { element, id, label: PROPERTY_LABELS[name], getValue: read, setValue: write, debounce });
}

function bodyEntry(element, type, id, label, rows = 3) {
  return {
    id,
    element,
    isEdited: isTextAreaEntryEdited,
    component: (props) => {
      const injector = useService('injector');
      const debounce = useService('debounceInput');
      return h(TextAreaEntry, {
        element, id: props.id, label, rows, debounce, monospace: true,
        getValue: () => extension(element, type)?.value || '',
        setValue: (value) => injector.get('modeling').updateModdleProperties(
          element, ensureExtension(element, type, injector), { value }),
      });
    },
  };
}

function scriptEntry(element) {
  return {
    id: 'av-script',
    element,
    isEdited: isTextAreaEntryEdited,
    component: (props) => {
      const modeling = useService('modeling');
      const debounce = useService('debounceInput');
      return h(TextAreaEntry, {
        element, id: props.id, label: 'Script (Python restringido)', rows: 6, debounce, monospace: true,
        getValue: () => getBusinessObject(element).script || '',
        setValue: (script) => modeling.updateProperties(element, { scriptFormat: 'python', script }),
      });
    },
  };
}

function conditionEntry(element) {
  return {
    id: 'av-condition',
    element,
    isEdited: isTextAreaEntryEdited,
    component: (props) => {
      const modeling = useService('modeling');
      const factory = useService('bpmnFactory');
      const debounce = useService('debounceInput');
      return h(TextAreaEntry, {
        element, id: props.id, label: 'Condición (expresión sobre los datos del caso)', rows: 2, debounce, monospace: true,
        getValue: () => getBusinessObject(element).conditionExpression?.body || '',
        setValue: (body) => modeling.updateProperties(element, {
          conditionExpression: body ? factory.create('bpmn:FormalExpression', { body }) : undefined,
        }),
      });
    },
  };
}

const TIMER_KINDS = { timeDate: 'fecha', timeDuration: 'duración', timeCycle: 'ciclo' };

function timerDefinition(element) {
  return (getBusinessObject(element).eventDefinitions || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

// The timer's expression (a Python expression: "PT24H" with its quotes, a date such as
// caso['vence_legal'], or a helper such as sumar_horas(caso['radicado_en'], 24)).
function timerEntry(element) {
  return {
    id: 'av-timer',
    element,
    isEdited: isTextAreaEntryEdited,
    component: (props) => {
      const modeling = useService('modeling');
      const factory = useService('bpmnFactory');
      const debounce = useService('debounceInput');
      const definition = timerDefinition(element);
      const kind = Object.keys(TIMER_KINDS).find((k) => definition[k]) || 'timeDate';
      return h(TextAreaEntry, {
        element, id: props.id, rows: 2, debounce, monospace: true,
        label: `Temporizador (${TIMER_KINDS[kind]}, expresión)`,
        description: 'Por ejemplo sumar_horas(caso[\'radicado_en\'], 24), sumar_horas_habiles(...), sumar_dias_habiles(...) o "PT24H".',
        getValue: () => definition[kind]?.body || '',
        setValue: (body) => modeling.updateModdleProperties(element, definition, {
          [kind]: factory.create('bpmn:FormalExpression', { body }),
        }),
      });
    },
  };
}

function operatorEntries(element) {
  const field = (id, label, attribute) => ({
    id,
    element,
    isEdited: isTextFieldEntryEdited,
    component: (props) => {
      const injector = useService('injector');
      const debounce = useService('debounceInput');
      return h(TextFieldEntry, {
        element, id: props.id, label, debounce,
        getValue: () => extension(element, 'spiffworkflow:ServiceTaskOperator')?.[attribute] || '',
        setValue: (value) => injector.get('modeling').updateModdleProperties(
          element, ensureExtension(element, 'spiffworkflow:ServiceTaskOperator', injector), { [attribute]: value }),
      });
    },
  });
  const parameters = {
    id: 'av-parameters',
    element,
    isEdited: isTextAreaEntryEdited,
    component: (props) => {
      const injector = useService('injector');
      const debounce = useService('debounceInput');
      const read = () => (extension(element, 'spiffworkflow:ServiceTaskOperator')?.parameterList?.parameters || [])
        .map((p) => `${p.id} = ${p.value}`).join('\n');
      const write = (text) => {
        const factory = injector.get('bpmnFactory');
        const operator = ensureExtension(element, 'spiffworkflow:ServiceTaskOperator', injector);
        const old = operator.parameterList?.parameters || [];
        const parameters = text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
          const [id, ...rest] = line.split('=');
          const type = old.find((p) => p.id === id.trim())?.type || 'str';
          return factory.create('spiffworkflow:Parameter', { id: id.trim(), type, value: rest.join('=').trim() });
        });
        const parameterList = factory.create('spiffworkflow:Parameters', { parameters });
        injector.get('modeling').updateModdleProperties(element, operator, { parameterList });
      };
      return h(TextAreaEntry, {
        element, id: props.id, rows: 4, debounce, monospace: true, getValue: read, setValue: write,
        label: 'Parámetros (uno por línea: nombre = expresión)',
      });
    },
  };
  return [field('av-operator', 'Operador del servicio', 'id'), field('av-result', 'Variable del resultado', 'resultVariable'), parameters];
}

function entriesFor(element) {
  if (is(element, 'bpmn:UserTask')) {
    return [
      propertyEntry(element, 'formJsonSchemaFilename'),
      propertyEntry(element, 'candidateGroup'),
      propertyEntry(element, 'hito'),
      bodyEntry(element, 'spiffworkflow:PreScript', 'av-prescript', 'Script previo (al quedar lista)'),
    ];
  }
  if (is(element, 'bpmn:ServiceTask')) {
    return [...operatorEntries(element), propertyEntry(element, 'hito')];
  }
  if (is(element, 'bpmn:ScriptTask')) {
    return [scriptEntry(element)];
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    return [bodyEntry(element, 'spiffworkflow:CalledDecisionId', 'av-decision', 'Tabla de decisión (id en bpmn/*.dmn)', 1)];
  }
  if (is(element, 'bpmn:SequenceFlow') && is(element.source, 'bpmn:ExclusiveGateway')) {
    return [conditionEntry(element)];
  }
  if (is(element, 'bpmn:Event') && timerDefinition(element)) {
    return [timerEntry(element)];
  }
  return [];
}

export default function AtencionPropertiesProvider(propertiesPanel) {
  this.getGroups = (element) => (groups) => {
    const entries = entriesFor(element);
    if (entries.length) {
      groups.splice(1, 0, { id: 'atencion-virtual', label: 'Atención Virtual', entries, shouldOpen: true });
    }
    return groups;
  };
  propertiesPanel.registerProvider(400, this);
}
AtencionPropertiesProvider.$inject = ['propertiesPanel'];
