/** Every platform limit the renderers respect, in one place. */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  blocksPerModal: 100,
  elementsPerActions: 25,
  actionIdLength: 255,
  blockIdLength: 255,
  buttonTextLength: 75,
  buttonValueLength: 2000,
  sectionTextLength: 3000,
  sectionFields: 10,
  fieldTextLength: 2000,
  headerTextLength: 150,
  contextTextLength: 3000,
  messageTextLength: 40_000,
  modalTitleLength: 24,
  modalButtonLength: 24,
  inputLabelLength: 2000,
  placeholderLength: 150,
  inputHintLength: 2000,
  selectOptions: 100,
  optionTextLength: 75,
  optionValueLength: 150,
  privateMetadataLength: 3000,
  responseUrlUses: 5,
  responseUrlLifetimeMs: 30 * 60_000,
} as const;

export const MATTERMOST_LIMITS = {
  postMessageLength: 16_383,
  attachmentTextLength: 16_383,
  dialogTitleLength: 24,
  dialogTextLength: 150,
  dialogTextareaLength: 3000,
  responseUrlUses: 5,
  responseUrlLifetimeMs: 30 * 60_000,
} as const;

/** Cuts text to a limit, marking the cut with an ellipsis. */
export function clipText(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, Math.max(0, limit - 1))}…`;
}
