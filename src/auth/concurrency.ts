/**
 * A few password checks at a time per client; the others wait their turn. Without it, a client
 * opening a hundred connections at once would try a hundred passwords before its first failure
 * is counted.
 */
export interface Gate {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createGate(limit: number): Gate {
  const lanes = new Map<string, { active: number; waiting: Array<() => void> }>();
  return {
    async run(key, work) {
      const lane = lanes.get(key) ?? { active: 0, waiting: [] };
      lanes.set(key, lane);
      if (lane.active >= limit) await new Promise<void>((resolve) => lane.waiting.push(resolve));
      else lane.active++;
      try {
        return await work();
      } finally {
        // the slot passes to the next in line, or is given back
        const next = lane.waiting.shift();
        if (next) next();
        else if (--lane.active === 0) lanes.delete(key);
      }
    },
  };
}
