/* A small C convolution library, called from Python through ctypes (see c_conv.py).
 *
 * In the style of the plain-C forward convolutions in small NN libraries and course
 * assignments (Darknet's im2col_cpu + gemm, the "naive C" baselines): one int for stride,
 * padding and dilation, doubles only, explicit zero padding into a scratch buffer, groups.
 *
 *   out[n][f][i][j] = b[f] + sum_{c,u,v} w[f][c][u][v] * xp[n][g*Cg + c][i*s + u*d][j*s + v*d]
 *
 * Padding wider than the kernel only adds outputs that see nothing but zeros, so the library
 * refuses it with an assert (torch accepts it).
 */
#include <assert.h>
#include <stdlib.h>

void conv2d_forward(const double *x, const double *w, const double *b, double *out,
                    int N, int C, int H, int W, int F, int KH, int KW,
                    int stride, int pad, int dilation, int groups)
{
    assert(pad < KH && pad < KW);
    int Hp = H + 2 * pad, Wp = W + 2 * pad;
    int OH = (Hp - dilation * (KH - 1) - 1) / stride + 1;
    int OW = (Wp - dilation * (KW - 1) - 1) / stride + 1;
    int Cg = C / groups, Fg = F / groups;
    double *xp = calloc((size_t)C * Hp * Wp + 1, sizeof(double));
    assert(xp != NULL);

    for (int n = 0; n < N; n++) {
        for (int c = 0; c < C; c++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++)
                    xp[((size_t)c * Hp + i + pad) * Wp + j + pad] = x[(((size_t)n * C + c) * H + i) * W + j];
        for (int f = 0; f < F; f++) {
            int g = f / Fg;
            for (int i = 0; i < OH; i++) {
                for (int j = 0; j < OW; j++) {
                    double sum = 0.0;
                    for (int c = 0; c < Cg; c++)
                        for (int u = 0; u < KH; u++)
                            for (int v = 0; v < KW; v++)
                                sum += w[(((size_t)f * Cg + c) * KH + u) * KW + v]
                                     * xp[((size_t)(g * Cg + c) * Hp + i * stride + u * dilation) * Wp
                                          + j * stride + v * dilation];
                    if (b != NULL)
                        sum += b[f];
                    out[(((size_t)n * F + f) * OH + i) * OW + j] = sum;
                }
            }
        }
    }
    free(xp);
}
