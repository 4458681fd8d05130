/**
 * Linear sum assignment (minimum-cost bipartite matching) on a dense rectangular cost matrix: the shortest
 * augmenting path algorithm of Jonker-Volgenant as described by Crouse (2016), the algorithm SciPy's
 * linear_sum_assignment uses. Rows are augmented in order and ties are broken the same way (a column that ends
 * the path is preferred among equally short ones), so the matching picked among equal-cost optima is the one the
 * reference evaluators (pycocotools' users, TrackEval) get; the metrics depend on that for exact reproduction.
 *
 * Every row (or every column, when there are fewer columns) is assigned; callers drop pairs whose score is too low.
 */

/** A dense matrix, row-major. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** The assigned pairs, sorted by row (as SciPy returns them). */
export interface AssignmentResult {
  rows: number[];
  cols: number[];
}

/** Makes a `rows` x `cols` matrix filled with `fill`. */
export function matrix(rows: number, cols: number, fill = 0): Matrix {
  const data = new Float64Array(rows * cols);
  if (fill !== 0) {
    data.fill(fill);
  }
  return { rows, cols, data };
}

/**
 * Minimum-cost (or, with `maximize`, maximum-score) assignment. Throws on NaN or on a matrix with no complete
 * assignment of finite cost.
 */
export function linearSumAssignment(cost: Matrix, maximize = false): AssignmentResult {
  let nr = cost.rows;
  let nc = cost.cols;
  if (nr === 0 || nc === 0) {
    return { rows: [], cols: [] };
  }
  const transpose = nc < nr;
  const c = new Float64Array(nr * nc);
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) {
      const value = cost.data[i * nc + j];
      if (Number.isNaN(value)) {
        throw new Error('linearSumAssignment: the cost matrix holds NaN');
      }
      const x = maximize ? -value : value;
      if (transpose) {
        c[j * nr + i] = x;
      } else {
        c[i * nc + j] = x;
      }
    }
  }
  if (transpose) {
    [nr, nc] = [nc, nr];
  }
  for (let k = 0; k < c.length; k++) {
    if (c[k] === -Infinity) {
      throw new Error('linearSumAssignment: the cost matrix holds -Infinity');
    }
  }

  const u = new Float64Array(nr);
  const v = new Float64Array(nc);
  const shortest = new Float64Array(nc);
  const path = new Int32Array(nc).fill(-1);
  const col4row = new Int32Array(nr).fill(-1);
  const row4col = new Int32Array(nc).fill(-1);
  const sr = new Uint8Array(nr);
  const sc = new Uint8Array(nc);
  const remaining = new Int32Array(nc);

  for (let curRow = 0; curRow < nr; curRow++) {
    // Dijkstra-like search for the shortest augmenting path from curRow.
    let minVal = 0;
    let numRemaining = nc;
    for (let it = 0; it < nc; it++) {
      remaining[it] = nc - it - 1;
    }
    sr.fill(0);
    sc.fill(0);
    shortest.fill(Infinity);
    let sink = -1;
    let i = curRow;
    while (sink === -1) {
      let index = -1;
      let lowest = Infinity;
      sr[i] = 1;
      for (let it = 0; it < numRemaining; it++) {
        const j = remaining[it];
        const r = minVal + c[i * nc + j] - u[i] - v[j];
        if (r < shortest[j]) {
          path[j] = i;
          shortest[j] = r;
        }
        if (shortest[j] < lowest || (shortest[j] === lowest && row4col[j] === -1)) {
          lowest = shortest[j];
          index = it;
        }
      }
      minVal = lowest;
      if (minVal === Infinity) {
        throw new Error('linearSumAssignment: no complete assignment of finite cost');
      }
      const j = remaining[index];
      if (row4col[j] === -1) {
        sink = j;
      } else {
        i = row4col[j];
      }
      sc[j] = 1;
      remaining[index] = remaining[--numRemaining];
    }
    // Update the dual variables.
    u[curRow] += minVal;
    for (let r = 0; r < nr; r++) {
      if (sr[r] && r !== curRow) {
        u[r] += minVal - shortest[col4row[r]];
      }
    }
    for (let j = 0; j < nc; j++) {
      if (sc[j]) {
        v[j] -= minVal - shortest[j];
      }
    }
    // Augment along the path.
    let j = sink;
    for (;;) {
      const r = path[j];
      row4col[j] = r;
      const previous = col4row[r];
      col4row[r] = j;
      j = previous;
      if (r === curRow) {
        break;
      }
    }
  }

  if (!transpose) {
    return { rows: Array.from({ length: nr }, (_, k) => k), cols: Array.from(col4row) };
  }
  // Transposed: report (original row, original column) pairs sorted by original row.
  const order = Array.from({ length: nr }, (_, k) => k).sort((a, b) => col4row[a] - col4row[b]);
  return { rows: order.map((k) => col4row[k]), cols: order };
}
