import { SLACK_LIMITS } from '../../blocks/limits.js';

/**
 * The Block Kit rules the fake enforces, as Slack answers `invalid_blocks`: block and element counts, text lengths,
 * ids. Each problem is one line naming where it is, like Slack's `errors` array.
 */
type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(element: unknown): string | undefined {
  return isObject(element) && typeof element.text === 'string' ? element.text : undefined;
}

function checkText(problems: string[], where: string, element: unknown, limit: number, required = true): void {
  const text = textOf(element);
  if (text === undefined) {
    if (required || element !== undefined) problems.push(`${where}: must be a text object`);
    return;
  }
  if (text.length === 0) problems.push(`${where}: must not be empty`);
  if (text.length > limit) problems.push(`${where}: must be at most ${limit} characters (got ${text.length})`);
}

function checkId(problems: string[], where: string, id: unknown, limit: number): void {
  if (id === undefined) return;
  if (typeof id !== 'string' || id.length === 0 || id.length > limit) problems.push(`${where}: must be 1 to ${limit} characters`);
}

function checkButton(problems: string[], where: string, element: unknown): void {
  if (!isObject(element) || element.type !== 'button') {
    problems.push(`${where}: only buttons are expected`);
    return;
  }
  checkText(problems, `${where}.text`, element.text, SLACK_LIMITS.buttonTextLength);
  checkId(problems, `${where}.action_id`, element.action_id, SLACK_LIMITS.actionIdLength);
  if (typeof element.value === 'string' && element.value.length > SLACK_LIMITS.buttonValueLength) {
    problems.push(`${where}.value: must be at most ${SLACK_LIMITS.buttonValueLength} characters`);
  }
}

function checkSection(problems: string[], where: string, block: Json): void {
  if (block.text === undefined && block.fields === undefined) problems.push(`${where}: needs text or fields`);
  if (block.text !== undefined) checkText(problems, `${where}.text`, block.text, SLACK_LIMITS.sectionTextLength);
  if (block.fields !== undefined) {
    if (!Array.isArray(block.fields) || block.fields.length === 0) problems.push(`${where}.fields: must be a non-empty array`);
    else {
      if (block.fields.length > SLACK_LIMITS.sectionFields) problems.push(`${where}.fields: at most ${SLACK_LIMITS.sectionFields}`);
      block.fields.forEach((field, index) => checkText(problems, `${where}.fields[${index}]`, field, SLACK_LIMITS.fieldTextLength));
    }
  }
}

function checkBlock(problems: string[], where: string, block: unknown, modal: boolean): void {
  if (!isObject(block) || typeof block.type !== 'string') {
    problems.push(`${where}: must be a block with a type`);
    return;
  }
  checkId(problems, `${where}.block_id`, block.block_id, SLACK_LIMITS.blockIdLength);
  switch (block.type) {
    case 'header':
      return checkText(problems, `${where}.text`, block.text, SLACK_LIMITS.headerTextLength);
    case 'section':
      return checkSection(problems, where, block);
    case 'context':
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
        problems.push(`${where}.elements: 1 to 10 elements`);
      } else block.elements.forEach((element, index) => checkText(problems, `${where}.elements[${index}]`, element, SLACK_LIMITS.contextTextLength));
      return;
    case 'actions':
      if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > SLACK_LIMITS.elementsPerActions) {
        problems.push(`${where}.elements: 1 to ${SLACK_LIMITS.elementsPerActions} elements`);
      } else block.elements.forEach((element, index) => checkButton(problems, `${where}.elements[${index}]`, element));
      return;
    case 'divider':
      return;
    case 'input':
      if (!modal) problems.push(`${where}: input blocks belong in modals`);
      checkText(problems, `${where}.label`, block.label, SLACK_LIMITS.inputLabelLength);
      checkText(problems, `${where}.hint`, block.hint, SLACK_LIMITS.inputHintLength, false);
      if (!isObject(block.element)) problems.push(`${where}.element: required`);
      else checkInputElement(problems, `${where}.element`, block.element);
      return;
    default:
      problems.push(`${where}: unsupported block type ${block.type}`);
  }
}

/** The elements an input block takes here: a text input, or a static select with its options. */
function checkInputElement(problems: string[], where: string, element: Record<string, unknown>): void {
  checkId(problems, `${where}.action_id`, element.action_id, SLACK_LIMITS.actionIdLength);
  if (element.type === 'plain_text_input') return;
  if (element.type !== 'static_select') {
    problems.push(`${where}.type: plain_text_input or static_select, not ${String(element.type)}`);
    return;
  }
  const options = element.options;
  if (!Array.isArray(options) || options.length === 0 || options.length > SLACK_LIMITS.selectOptions) {
    problems.push(`${where}.options: 1 to ${SLACK_LIMITS.selectOptions} options`);
    return;
  }
  options.forEach((option: unknown, index) => {
    const at = `${where}.options[${index}]`;
    if (!isObject(option)) return void problems.push(`${at}: must be an object`);
    if (isObject(option.text) && option.text.type !== 'plain_text') problems.push(`${at}.text: must be plain_text`);
    checkText(problems, `${at}.text`, option.text, SLACK_LIMITS.optionTextLength);
    checkId(problems, `${at}.value`, option.value ?? '', SLACK_LIMITS.optionValueLength);
  });
}

/** Problems with a message's `blocks`, or an empty list. */
export function checkMessageBlocks(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ['blocks: must be an array'];
  const problems: string[] = [];
  if (blocks.length > SLACK_LIMITS.blocksPerMessage) problems.push(`blocks: at most ${SLACK_LIMITS.blocksPerMessage} (got ${blocks.length})`);
  blocks.forEach((block, index) => checkBlock(problems, `blocks[${index}]`, block, false));
  return problems;
}

/** Problems with a `views.open` view, or an empty list. */
export function checkModal(view: unknown): string[] {
  if (!isObject(view)) return ['view: must be an object'];
  const problems: string[] = [];
  if (view.type !== 'modal') problems.push('view.type: must be modal');
  checkText(problems, 'view.title', view.title, SLACK_LIMITS.modalTitleLength);
  checkText(problems, 'view.submit', view.submit, SLACK_LIMITS.modalButtonLength, false);
  checkText(problems, 'view.close', view.close, SLACK_LIMITS.modalButtonLength, false);
  checkId(problems, 'view.callback_id', view.callback_id, 255);
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > SLACK_LIMITS.privateMetadataLength) {
    problems.push(`view.private_metadata: at most ${SLACK_LIMITS.privateMetadataLength} characters`);
  }
  const blocks = view.blocks;
  if (!Array.isArray(blocks)) return [...problems, 'view.blocks: must be an array'];
  if (blocks.length > SLACK_LIMITS.blocksPerModal) problems.push(`view.blocks: at most ${SLACK_LIMITS.blocksPerModal}`);
  if (blocks.some((block) => isObject(block) && block.type === 'input') && view.submit === undefined) {
    problems.push('view.submit: required when the view has inputs');
  }
  blocks.forEach((block, index) => checkBlock(problems, `view.blocks[${index}]`, block, true));
  return problems;
}
