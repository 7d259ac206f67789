import { describe, expect, it, vi } from "vitest";
import { ENQUEUE_BATCH_MAX, enqueueSoon } from "../../src/leads/capture-enqueue";
import type { ProcessrMessage } from "../../src/processr/messages";

// Capture's Processr messages leave a few at a time (src/leads/capture-enqueue.ts): every lead
// exactly once, in one sendBatch per burst, per queue, and a failed send never rejects.

function recordingQueue(fail = false) {
  const calls: number[][] = [];
  return {
    calls,
    sent: () => calls.flat(),
    async sendBatch(messages: MessageSendRequest<ProcessrMessage>[]) {
      const ids = messages.map((m) => {
        expect(m.body).toEqual({ type: "process", leadId: expect.any(Number) });
        return (m.body as { leadId: number }).leadId;
      });
      calls.push(ids);
      if (fail) throw new Error("queue unavailable");
    },
  };
}

describe("capture's Processr messages", () => {
  it("sends the leads of captures answered together in one sendBatch, each once", async () => {
    const q = recordingQueue();
    await Promise.all([1, 2, 3, 4, 5].map((id) => enqueueSoon(q, id)));
    expect(q.calls).toEqual([[1, 2, 3, 4, 5]]);
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

  it(`sends at most ${ENQUEUE_BATCH_MAX} messages per sendBatch`, async () => {
    const q = recordingQueue();
    const n = ENQUEUE_BATCH_MAX * 2 + 5;
    await Promise.all(Array.from({ length: n }, (_, i) => enqueueSoon(q, i + 1)));
    expect(q.calls.map((c) => c.length)).toEqual([ENQUEUE_BATCH_MAX, ENQUEUE_BATCH_MAX, 5]);
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
