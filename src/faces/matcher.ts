/**
 * In-memory watchlist index, pure: identities with their embeddings, nearest identity by the minimum euclidean
 * distance over each identity's embeddings.
 */

/** A watchlist identity as stored. */
export interface Identity {
  id: string;
  name: string;
  /** 128-d descriptors, one per enrolled image. */
  embeddings: number[][];
  /** ISO time of creation. */
  createdAt: string;
}

/** Result of a nearest-identity search. */
export interface FaceMatch {
  identity: string;
  name: string;
  distance: number;
}

/** Euclidean distance between two descriptors. */
export function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** The index the workers match against. Replace or update identities as the store changes. */
export class FaceIndex {
  private readonly byId = new Map<string, { name: string; vectors: Float32Array[] }>();

  /** Number of identities. */
  get size(): number {
    return this.byId.size;
  }

  /** Whether an identity (by id) is in the index. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Replaces the whole index. */
  replaceAll(identities: Iterable<Identity>): void {
    this.byId.clear();
    for (const id of identities) {
      this.set(id);
    }
  }

  /** Adds or replaces one identity. */
  set(identity: Identity): void {
    this.byId.set(identity.id, {
      name: identity.name,
      vectors: identity.embeddings.map((e) => Float32Array.from(e)),
    });
  }

  /** Removes one identity. */
  delete(id: string): void {
    this.byId.delete(id);
  }

  /** Nearest identity whatever the distance, or undefined when the index is empty. */
  nearest(embedding: ArrayLike<number>): FaceMatch | undefined {
    let best: FaceMatch | undefined;
    for (const [id, entry] of this.byId) {
      for (const v of entry.vectors) {
        const d = euclidean(embedding, v);
        if (!best || d < best.distance) {
          best = { identity: id, name: entry.name, distance: d };
        }
      }
    }
    return best;
  }

  /** Nearest identity closer than `threshold`, else undefined. */
  match(embedding: ArrayLike<number>, threshold: number): FaceMatch | undefined {
    const best = this.nearest(embedding);
    return best && best.distance < threshold ? best : undefined;
  }
}
