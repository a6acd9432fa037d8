import type { DialogView } from '../view.js';

export const REJECT_REASON_FIELD = 'reason';

/** The dialog a Reject click opens: the reason goes to the requester and the audit log. */
export function rejectDialogView(envId: string, reasonLength: { min: number; max: number }): DialogView {
  return {
    callbackId: 'rejectReason',
    title: 'Reject the request',
    submitLabel: 'Reject',
    value: envId,
    fields: [
      {
        name: REJECT_REASON_FIELD,
        label: `Why is ${envId} rejected?`,
        placeholder: 'The requester sees this reason.',
        multiline: true,
        minLength: reasonLength.min,
        maxLength: reasonLength.max,
      },
    ],
  };
}
