/* The GRU and SimpleRNN recurrences on the CPU, forward and backward, for rnnkit.models.fused.
 *
 * PyTorch's CPU GRU and RNN run each time step as a handful of separate tensor operations,
 * each dispatched and recorded for autograd; for the small hidden sizes of tutorial models
 * that bookkeeping, not the arithmetic, is the time. Here one call runs a whole sequence
 * batch. The input projections gi = x W_ih^T + b_ih, and the weight gradients, stay in
 * PyTorch as single large matrix products; only the step-to-step loop is here.
 *
 * Layouts (float32, C-contiguous, batch first): gi (N, L, G*H), w_hh (G*H, H) and its
 * transpose w_hh_t (H, G*H), b_hh (G*H),
 * h (N, L, H). GRU gate blocks follow PyTorch: [r, z, n]; the reset gate multiplies the
 * recurrent product after its bias (reset_after, Keras's default):
 *   r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z), n = tanh(gi_n + r * gh_n),
 *   h_t = (1 - z) * n + z * h_{t-1},   where gh = W_hh h_{t-1} + b_hh.
 * SimpleRNN: h_t = tanh(gi + W_hh h_{t-1} + b_hh).
 * The initial state is zero. Sequences are independent, so the batch is the outer loop.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* out = b + W h for W (rows, H), given as its transpose w_t (H, rows): the inner loop runs
 * along a row of w_t with no reduction, which the compiler vectorises */
static inline void matvec(const float *w_t, const float *b, const float *h, float *out,
                          int64_t rows, int64_t H) {
    memcpy(out, b, sizeof(float) * rows);
    for (int64_t k = 0; k < H; k++) {
        const float *col = w_t + k * rows;
        const float hk = h[k];
        for (int64_t g = 0; g < rows; g++) out[g] += col[g] * hk;
    }
}

/* out[k] += sum_g w[g, k] d[g]: the transposed product, for the state's gradient */
static inline void matvec_t_add(const float *w, const float *d, float *out, int64_t rows,
                                int64_t H) {
    for (int64_t g = 0; g < rows; g++) {
        const float *row = w + g * H;
        const float dg = d[g];
        for (int64_t k = 0; k < H; k++) out[k] += row[k] * dg;
    }
}

/* gates (N, L, 3H) receives r, z, n; ghn (N, L, H) receives W_hn h_{t-1} + b_hn. */
void gru_forward(const float *gi, const float *w_hh_t, const float *b_hh, float *h, float *gates,
                 float *ghn, int64_t N, int64_t L, int64_t H, float *scratch /* 4H */) {
    float *gh = scratch, *zero = scratch + 3 * H;
    memset(zero, 0, sizeof(float) * H);
    for (int64_t s = 0; s < N; s++) {
        const float *prev = zero;
        for (int64_t t = 0; t < L; t++) {
            const int64_t at = s * L + t;
            const float *g = gi + at * 3 * H;
            float *gt = gates + at * 3 * H, *ht = h + at * H, *nt = ghn + at * H;
            matvec(w_hh_t, b_hh, prev, gh, 3 * H, H);
            for (int64_t k = 0; k < H; k++) {
                const float r = sigmoidf(g[k] + gh[k]);
                const float z = sigmoidf(g[H + k] + gh[H + k]);
                const float n = tanhf(g[2 * H + k] + r * gh[2 * H + k]);
                gt[k] = r;
                gt[H + k] = z;
                gt[2 * H + k] = n;
                nt[k] = gh[2 * H + k];
                ht[k] = n + z * (prev[k] - n);
            }
            prev = ht;
        }
    }
}

/* From dh (N, L, H), the gradient of the loss with respect to every output state: dgi and
 * dgh (N, L, 3H), the gradients with respect to the input projections and to gh. */
void gru_backward(const float *dh, const float *w_hh, const float *h, const float *gates,
                  const float *ghn, float *dgi, float *dgh, int64_t N, int64_t L, int64_t H,
                  float *scratch /* 2H */) {
    float *carry = scratch, *zero = scratch + H;
    memset(zero, 0, sizeof(float) * H);
    for (int64_t s = 0; s < N; s++) {
        memset(carry, 0, sizeof(float) * H);
        for (int64_t t = L - 1; t >= 0; t--) {
            const int64_t at = s * L + t;
            const float *gt = gates + at * 3 * H, *nt = ghn + at * H;
            const float *prev = t > 0 ? h + (at - 1) * H : zero;
            float *di = dgi + at * 3 * H, *dg = dgh + at * 3 * H;
            for (int64_t k = 0; k < H; k++) {
                const float r = gt[k], z = gt[H + k], n = gt[2 * H + k];
                const float d = dh[at * H + k] + carry[k];
                const float dn = d * (1.0f - z) * (1.0f - n * n);
                const float dz = d * (prev[k] - n) * z * (1.0f - z);
                const float dr = dn * nt[k] * r * (1.0f - r);
                di[k] = dr;
                di[H + k] = dz;
                di[2 * H + k] = dn;
                dg[k] = dr;
                dg[H + k] = dz;
                dg[2 * H + k] = dn * r;
                carry[k] = d * z;
            }
            matvec_t_add(w_hh, dg, carry, 3 * H, H);
        }
    }
}

void rnn_forward(const float *gi, const float *w_hh_t, const float *b_hh, float *h, int64_t N,
                 int64_t L, int64_t H, float *scratch /* 2H */) {
    float *gh = scratch, *zero = scratch + H;
    memset(zero, 0, sizeof(float) * H);
    for (int64_t s = 0; s < N; s++) {
        const float *prev = zero;
        for (int64_t t = 0; t < L; t++) {
            const int64_t at = s * L + t;
            float *ht = h + at * H;
            matvec(w_hh_t, b_hh, prev, gh, H, H);
            for (int64_t k = 0; k < H; k++) ht[k] = tanhf(gi[at * H + k] + gh[k]);
            prev = ht;
        }
    }
}

/* dgi (N, L, H): the gradient with respect to the pre-activation, which is also gh's. */
void rnn_backward(const float *dh, const float *w_hh, const float *h, float *dgi, int64_t N,
                  int64_t L, int64_t H, float *scratch /* H */) {
    float *carry = scratch;
    for (int64_t s = 0; s < N; s++) {
        memset(carry, 0, sizeof(float) * H);
        for (int64_t t = L - 1; t >= 0; t--) {
            const int64_t at = s * L + t;
            float *di = dgi + at * H;
            for (int64_t k = 0; k < H; k++) {
                const float y = h[at * H + k];
                di[k] = (dh[at * H + k] + carry[k]) * (1.0f - y * y);
                carry[k] = 0.0f;
            }
            matvec_t_add(w_hh, di, carry, H, H);
        }
    }
}
