/**
 * Optimal assignment (Hungarian algorithm, shortest augmenting paths with potentials, O(n²m)) on a rectangular
 * cost matrix; pairs whose cost is above `maxCost` are left unmatched.
 */

/** Result of {@link assign}: matched (row, col) pairs and the rows and columns left over. */
export interface Assignment {
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/**
 * Minimum-cost assignment of rows to columns. `cost[r][c]` may be Infinity (forbidden). Pairs with a cost above
 * `maxCost` are dropped from the result.
 */
export function assign(cost: readonly (readonly number[])[], maxCost: number): Assignment {
  const rows = cost.length;
  const cols = rows > 0 ? cost[0].length : 0;
  if (rows === 0 || cols === 0) {
    return { matches: [], unmatchedRows: range(rows), unmatchedCols: range(cols) };
  }
  const transpose = rows > cols;
  const n = transpose ? cols : rows;
  const m = transpose ? rows : cols;
  // Forbidden/over-threshold pairs get a large finite cost so the algorithm always completes.
  const BIG = 1e6;
  const at = (i: number, j: number): number => {
    const c = transpose ? cost[j][i] : cost[i][j];
    return Number.isFinite(c) && c <= maxCost ? c : BIG;
  };
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (!used[j]) {
          const cur = at(i0 - 1, j - 1) - u[i0] - v[j];
          if (cur < minv[j]) {
            minv[j] = cur;
            way[j] = j0;
          }
          if (minv[j] < delta) {
            delta = minv[j];
            j1 = j;
          }
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const matches: Array<[number, number]> = [];
  const rowUsed = new Uint8Array(rows);
  const colUsed = new Uint8Array(cols);
  for (let j = 1; j <= m; j++) {
    if (p[j] === 0) {
      continue;
    }
    const a = p[j] - 1;
    const b = j - 1;
    if (at(a, b) >= BIG) {
      continue;
    }
    const r = transpose ? b : a;
    const c = transpose ? a : b;
    matches.push([r, c]);
    rowUsed[r] = 1;
    colUsed[c] = 1;
  }
  matches.sort((x, y) => x[0] - y[0]);
  return {
    matches,
    unmatchedRows: range(rows).filter((r) => !rowUsed[r]),
    unmatchedCols: range(cols).filter((c) => !colUsed[c]),
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
