// Messages on the Processr queue. Consumers must be idempotent: delivery is at-least-once.
export type ProcessrMessage = { type: "process"; leadId: number };
