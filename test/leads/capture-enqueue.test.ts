import { describe, expect, it, vi } from "vitest";
import { ENQUEUE_BATCH_MAX, ENQUEUE_LEADS_PER_MESSAGE, enqueueSoon } from "../../src/leads/capture-enqueue";
import type { ProcessrMessage } from "../../src/processr/messages";

// Capture's Processr messages leave a few at a time (src/leads/capture-enqueue.ts): every lead
// exactly once, in one sendBatch per burst, several leads to a message, per queue, and a failed
// send never rejects.

function recordingQueue(fail = false) {
  /** The leads of each sendBatch, and of each message. */
  const calls: number[][] = [];
  const messages: number[][] = [];
  return {
    calls,
    messages,
    sent: () => calls.flat(),
    async sendBatch(batch: MessageSendRequest<ProcessrMessage>[]) {
      const ids = batch.map(({ body }) => {
        if (!("leadIds" in body)) {
          expect(body).toEqual({ type: "process", leadId: expect.any(Number) });
          return [body.leadId];
        }
        expect(body).toEqual({ type: "process", leadIds: expect.any(Array) });
        // A lone lead goes as the single-lead message, which every version of the consumer takes.
        expect(body.leadIds.length).toBeGreaterThan(1);
        expect(body.leadIds.length).toBeLessThanOrEqual(ENQUEUE_LEADS_PER_MESSAGE);
        return body.leadIds;
      });
      messages.push(...ids);
      calls.push(ids.flat());
      if (fail) throw new Error("queue unavailable");
    },
  };
}

describe("capture's Processr messages", () => {
  it("sends the leads of captures answered together in one sendBatch, each once", async () => {
    const q = recordingQueue();
    await Promise.all([1, 2, 3, 4, 5].map((id) => enqueueSoon(q, id)));
    expect(q.calls).toEqual([[1, 2, 3, 4, 5]]);
    expect(q.messages.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(q.messages).toHaveLength(Math.ceil(5 / ENQUEUE_LEADS_PER_MESSAGE));
    const alone = recordingQueue();
    await enqueueSoon(alone, 9);
    expect(alone.messages).toEqual([[9]]);
  });

  it("sends a lead added after a send took the others in a later send, never one twice", async () => {
    const q = recordingQueue();
    const first = Promise.all([1, 2].map((id) => enqueueSoon(q, id)));
    await first;
    await Promise.all([3, 4].map((id) => enqueueSoon(q, id)));
    expect(q.calls).toEqual([[1, 2], [3, 4]]);
    // Interleaved: leads added while earlier ones wait are all sent, each once.
    const r = recordingQueue();
    const waits: Promise<void>[] = [];
    for (let id = 1; id <= 30; id++) {
      waits.push(enqueueSoon(r, id));
      if (id % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await Promise.all(waits);
    expect(r.sent().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it(`sends at most ${ENQUEUE_BATCH_MAX} leads per sendBatch, ${ENQUEUE_LEADS_PER_MESSAGE} per message`, async () => {
    const q = recordingQueue();
    const n = ENQUEUE_BATCH_MAX * 2 + 5;
    await Promise.all(Array.from({ length: n }, (_, i) => enqueueSoon(q, i + 1)));
    expect(q.calls.map((c) => c.length)).toEqual([ENQUEUE_BATCH_MAX, ENQUEUE_BATCH_MAX, 5]);
    expect(Math.max(...q.messages.map((m) => m.length))).toBe(ENQUEUE_LEADS_PER_MESSAGE);
    expect(q.sent()).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it("keeps each queue's leads to that queue", async () => {
    const a = recordingQueue();
    const b = recordingQueue();
    await Promise.all([enqueueSoon(a, 1), enqueueSoon(b, 2), enqueueSoon(a, 3), enqueueSoon(b, 4)]);
    expect(a.sent()).toEqual([1, 3]);
    expect(b.sent()).toEqual([2, 4]);
  });

  it("logs a failed send and resolves: the leads stay for the sweeper, not sent again here", async () => {
    const q = recordingQueue(true);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await expect(Promise.all([7, 8].map((id) => enqueueSoon(q, id)))).resolves.toEqual([undefined, undefined]);
      expect(q.calls).toEqual([[7, 8]]);
      expect(log).toHaveBeenCalledWith("processr enqueue failed; the sweeper will retry", "7,8", "Error: queue unavailable");
    } finally {
      log.mockRestore();
    }
  });
});
