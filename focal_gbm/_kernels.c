/*
 * The focal-loss math, compiled: one fused, multi-threaded pass per call.
 *
 * This is the only implementation of the loss, gradient and Hessian; the
 * functions in _loss.py shape arrays and call these. Notation and formulas
 * as in docs/math.md (sections 1-3 binary, 6 softmax, 7 rounding, 9 the
 * asymmetric loss). The symbols of the code and of the page:
 *
 *   z            margin;  p = sigmoid(z), q = 1 - p, s1 = -log p, s0 = -log q
 *   t            the true class's margin: z for a positive, -z for a negative
 *   P, Q, S      sigmoid(t), 1 - P and -log P (the true class's p, q, s1)
 *   Qg           Q^g, the focal factor of the true class
 *   gp, gn       gamma of the positive and of the negative part (gamma_neg)
 *   m            the probability margin of the clipped negative part ("clip")
 *   u, v, c      max(p - m, 0), 1 - u and -log v (section 9); ug = u^gn
 *   a            the true class's weight (alpha_pos or alpha_neg)
 *
 * Everything is formed from z directly, never as the log of a rounded
 * probability, so no finite margin gives a NaN or an inf.
 *
 * Two ways to evaluate the same formulas:
 *
 * - precise, scalar: exp, log and log1p from the C library, every label
 *   (soft labels take both classes' parts), subnormal results kept;
 * - blocks of 512 rows of hard (0/1) labels, one column at a time (the
 *   columns of a 2-D call are gathered, so each equals a 1-D call): loops
 *   without branches that the compiler vectorises, with exp and log1p by polynomials
 *   (exp_neg, log1p_unit) instead of C library calls, which cannot be
 *   vectorised. exp_neg flushes results below float64's smallest normal to 0,
 *   so a block takes this path only where that changes nothing: always on
 *   the boosters' path (values rounded to 21 bits, then float32), and for
 *   float64 results when every |margin| <= BLOCK_MARGIN_LIMIT and the gammas
 *   are small integers (powers by products, as exact as the scalar path).
 *
 * Threads: rows are split over OpenMP threads (the count is the caller's
 * argument, chosen by _loss._threads) where the compiler has OpenMP; without it
 * every call runs on the calling thread. The GIL is released throughout.
 *
 * The hot loops are compiled three times (AVX-512, AVX2 + FMA and the
 * x86-64 baseline) and the loader picks the one the CPU runs (GCC's
 * target_clones, on Linux); elsewhere they are compiled once, for the
 * compiler's default target. Nothing is compiled for the build machine only.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && defined(__GLIBC__)
#define HOT_LOOP __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT_LOOP
#endif

/* The loops' bodies are inlined into each loop with constant arguments
 * (policy, integer powers), so that every loop is branch-free. */
#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define ALWAYS_INLINE static __forceinline
#else
#define ALWAYS_INLINE static inline
#endif

/* The Hessian policies (docs/math.md section 3), in the order of their codes. */
enum { EXACT, CLIP, ABS, SURROGATE, FISHER, N_POLICIES };
static const char *const POLICY_NAMES[N_POLICIES] = {"exact", "clip", "abs", "surrogate",
                                                     "fisher"};
/* Smallest curvature the "clip" policy lets through, per unit of weight. */
#define HESSIAN_FLOOR 1e-6

/* Rows per block: one pass checks that a block's labels are hard, the next
 * computes it branch-free; small enough to stay in the L1 cache between. */
#define BLOCK 512
/* |margin| up to which float64 results may come from the polynomials:
 * exp(-700) is still a normal number, so nothing is flushed to 0. */
#define BLOCK_MARGIN_LIMIT 700.0

/* ---------------------------------------------------------------- bits */

ALWAYS_INLINE double from_bits(uint64_t bits) {
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

ALWAYS_INLINE uint64_t to_bits(double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

/* value rounded to 21 significant bits, half away from zero (see
 * _adapter.ObjectiveAdapter.__call__ for why): add half of the
 * dropped 32 bits and clear them; a carry into the exponent is the correct
 * result. Integer operations only, so fused multiply-adds cannot change it. */
ALWAYS_INLINE double round_21_bits(double value) {
    return from_bits((to_bits(value) + (UINT64_C(1) << 31)) & ~UINT64_C(0xFFFFFFFF));
}

/* ------------------------------------------- vectorisable exp and log1p */

#define LOG2E 1.4426950408889634
/* ln 2 split so that k * LN2_HI is exact for |k| < 2^20 (fdlibm's constants). */
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define LN2 0.6931471805599453
#define SQRT2 1.4142135623730951
/* exp(-a) above this is below float64's smallest normal; it is returned as 0. */
#define EXP_ARG_MAX 708.0
/* Adding 1.5 * 2^52 rounds a double below 2^51 to an integer held in the low
 * mantissa bits: the conversion to int64 without a cvt instruction, which
 * AVX2 lacks (it would keep the loop scalar). */
#define ROUND_SHIFT 6755399441055744.0
#define TWO_52 4503599627370496.0
#define TWO_1000 1.0715086071862673e+301 /* 2^1000 exactly (no hex literal: MSVC's C) */
#define TWO_52_BITS UINT64_C(0x4330000000000000)
#define MANTISSA_BITS ((UINT64_C(1) << 52) - 1)
#define ONE_BITS (UINT64_C(1023) << 52)

/* exp(-a) for 0 <= a <= EXP_ARG_MAX within an ulp, without a branch or a
 * libm call: Cody-Waite reduction a = k ln2 - r, |r| <= ln2 / 2, a degree-13
 * Taylor polynomial (|r|^14 / 14! < 4e-18) and 2^-k from its exponent bits. */
ALWAYS_INLINE double exp_neg(double a) {
    double shifted = a * LOG2E + ROUND_SHIFT;
    double k = shifted - ROUND_SHIFT;
    uint64_t k_int = to_bits(shifted) - to_bits(ROUND_SHIFT);
    double r = (k * LN2_HI - a) + k * LN2_LO;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 1.0 / 2.0;
    p = p * r + 1.0;
    p = p * r + 1.0;
    return p * from_bits((UINT64_C(1023) - k_int) << 52);
}

/* exp(-a) for any a >= 0; 0 where it is below float64's smallest normal. */
ALWAYS_INLINE double exp_neg_or_zero(double a) {
    double e = exp_neg(a < EXP_ARG_MAX ? a : EXP_ARG_MAX);
    return a <= EXP_ARG_MAX ? e : 0.0;
}

/* log1p(e) for -1/2 <= e <= 1 within 2 ulp: 2 atanh(s), s = e / (2 + e),
 * |s| <= 1/3, 16 terms of the series (s^32 / 33 < 2e-17). */
ALWAYS_INLINE double log1p_unit(double e) {
    double s = e / (2.0 + e);
    double s2 = s * s;
    double p = 1.0 / 31.0;
    p = p * s2 + 1.0 / 29.0;
    p = p * s2 + 1.0 / 27.0;
    p = p * s2 + 1.0 / 25.0;
    p = p * s2 + 1.0 / 23.0;
    p = p * s2 + 1.0 / 21.0;
    p = p * s2 + 1.0 / 19.0;
    p = p * s2 + 1.0 / 17.0;
    p = p * s2 + 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    return 2.0 * s * p;
}

/* x = 2^k (1 + e) with e in [sqrt(2)/2 - 1, sqrt(2) - 1), for a normal x > 0:
 * log x = k ln2 + log1p(e), and |e| <= 0.42 keeps log1p_unit accurate; near
 * x = 1, k = 0 and e = x - 1 is exact. Exponent bits only. */
ALWAYS_INLINE double log_reduced(double x, double *e) {
    uint64_t bits = to_bits(x);
    /* the exponent field as a double: 2^52 + field has it in its low bits */
    double k = from_bits(TWO_52_BITS | ((bits >> 52) & 0x7FF)) - (TWO_52 + 1023.0);
    double f = from_bits((bits & MANTISSA_BITS) | ONE_BITS);
    int big = f > SQRT2;
    f = big ? f * 0.5 : f;
    *e = f - 1.0;
    return big ? k + 1.0 : k;
}

/* log(x) for a normal positive float64 within a few ulp, branch-free. */
ALWAYS_INLINE double log_normal(double x) {
    double e;
    double k = log_reduced(x, &e);
    return k * LN2 + log1p_unit(e);
}

/* x^g for g in {0, 1, 2, 3, 4} by products, from the bits of g: two-way
 * selects only (GCC if-converts, and so vectorises, a loop only where each
 * merge has at most four inputs). */
ALWAYS_INLINE double small_power(double x, int g_bits) {
    double x2 = x * x;
    return ((g_bits & 1) ? x : 1.0) * ((g_bits & 2) ? x2 : 1.0) * ((g_bits & 4) ? x2 * x2 : 1.0);
}

ALWAYS_INLINE int is_small_gamma(double g) {
    return g == 0.0 || g == 1.0 || g == 2.0 || g == 3.0 || g == 4.0;
}

/* base^gamma; products for the common integer gammas: exact, faster than pow. */
ALWAYS_INLINE double power(double base, double gamma) {
    if (gamma == 0.0) return 1.0;
    if (gamma == 1.0) return base;
    if (gamma == 2.0) return base * base;
    return pow(base, gamma);
}

/* ------------------------------------------------- binary, precise terms */

/* a = |z|, e = exp(-a) in (0, 1], inv = 1 / (1 + e) and log1p(e). log1p(e)
 * is log(u) - ((u - 1) - e) / u with u = fl(1 + e): the rounding error
 * (u - 1) - e is exact (Fast2Sum, e <= 1), so one first-order correction
 * restores full precision, reusing 1 / u; about twice as fast as log1p. */
ALWAYS_INLINE void softplus_parts(double z, double *a, double *e, double *inv,
                                  double *log_d) {
    *a = fabs(z);
    *e = exp(-*a);
    double u = 1.0 + *e;
    *inv = 1.0 / u;
    *log_d = log(u) - ((u - 1.0) - *e) * *inv;
}

/* p, q, -log p, -log q, each to about an ulp, for any finite z. */
ALWAYS_INLINE void sigmoid_terms(double z, double *p, double *q, double *s1, double *s0) {
    double a, e, inv, log_d;
    softplus_parts(z, &a, &e, &inv, &log_d);
    int positive = z >= 0.0;
    *p = positive ? inv : e * inv;
    *q = positive ? e * inv : inv;
    *s1 = positive ? log_d : a + log_d;
    *s0 = positive ? a + log_d : log_d;
}

/* The exact second derivative as the "abs" / "clip" policies return it. */
ALWAYS_INLINE double adjusted(double hess, double floor, int policy) {
    if (policy == ABS) return fabs(hess);
    if (policy == CLIP) return floor > hess ? floor : hess;
    return hess;
}

/* d/dt and d2/dt2 of a Q^g S from P, Q, S and Qg = Q^g (docs/math.md section 2). */
ALWAYS_INLINE void hard_derivatives(double P, double Q, double S, double Qg, double g,
                                    double a, int policy, double *grad, double *hess) {
    double PS = P * S;
    *grad = -a * Qg * (Q + g * PS);
    double exact = a * Qg * (Q * ((2.0 * g + 1.0) * P - g * PS) + g * g * P * PS);
    if (policy == SURROGATE)
        *hess = a * Qg * (P * Q);
    else if (policy == FISHER)
        *hess = a * (P * Q);
    else
        *hess = adjusted(exact, HESSIAN_FLOOR * a, policy);
}

/* Derivatives with respect to t of a Q^g S at t = +-z: the hard-label case.
 * For y = 1, t = z and a = alpha_pos; for y = 0, t = -z and a = alpha_neg
 * (the gradient then changes sign, the Hessian does not). */
ALWAYS_INLINE void hard_grad_hess(double t, double g, double a, int policy, double *grad,
                                  double *hess) {
    double abs_t, e, inv, log_d;
    softplus_parts(t, &abs_t, &e, &inv, &log_d);
    int positive = t >= 0.0;
    double P = positive ? inv : e * inv;
    double Q = positive ? e * inv : inv;
    double S = positive ? log_d : abs_t + log_d;
    hard_derivatives(P, Q, S, power(Q, g), g, a, policy, grad, hess);
}

/* u, v, c and c / u of the clipped negative part (section 9), for u > 0:
 * u = p - m from p or from q, whichever side keeps more digits; v = q + m
 * (no cancellation); c = -log v by log1p(-u) where u is small. */
ALWAYS_INLINE void clip_terms(double p, double q, double m, double *u, double *v, double *c,
                              double *ratio) {
    *u = p < 0.5 ? p - m : (1.0 - m) - q;
    *v = q + m;
    *c = *u < 0.5 ? -log1p(-*u) : -log(*v);
    *ratio = *u > 0.0 ? *c / *u : 1.0; /* -log(1 - u) / u -> 1 as u -> 0 */
}

/* Gradient and policy-adjusted Hessian of the clipped part from phi', phi''. */
ALWAYS_INLINE void clipped_derivatives(double p, double q, double d1, double d2, double ug,
                                       double a, int policy, double *grad, double *hess) {
    double pq = p * q;
    *grad = a * pq * d1;
    if (policy == SURROGATE)
        *hess = a * ug * pq;
    else if (policy == FISHER)
        *hess = a * pq;
    else
        *hess = adjusted(a * (pq * pq * d2 + pq * (q - p) * d1), HESSIAN_FLOOR * a, policy);
}

/* Loss, d/dz and d2/dz2 of a u^g (-log(1 - u)), u = max(p - m, 0) (section 9).
 * Zero at and below the kink p = m (the loss is flat there; 0 is a
 * subgradient at the kink itself). */
ALWAYS_INLINE double clipped_negative(double z, double g, double m, double a, int policy,
                                      double *grad, double *hess) {
    double p, q, s1, s0, u, v, c, ratio;
    sigmoid_terms(z, &p, &q, &s1, &s0);
    clip_terms(p, q, m, &u, &v, &c, &ratio);
    if (u <= 0.0) {
        *grad = 0.0;
        *hess = policy == CLIP ? HESSIAN_FLOOR * a : 0.0;
        return 0.0;
    }
    double ug = power(u, g);
    /* phi(u) = u^g c: phi' = u^g (g c/u + 1/v),
     * phi'' = g u^(g-1) ((g-1) c/u + 2/v) + u^g / v^2 */
    double d1 = ug * (g * ratio + 1.0 / v);
    double d2 = ug / (v * v);
    if (g != 0.0) d2 += g * power(u, g - 1.0) * ((g - 1.0) * ratio + 2.0 / v);
    clipped_derivatives(p, q, d1, d2, ug, a, policy, grad, hess);
    return a * ug * c;
}

/* The loss of one element: both classes' parts for a soft label. */
ALWAYS_INLINE double binary_loss_value(double y, double z, double gp, double gn, double m,
                                       double a_pos, double a_neg) {
    double p, q, s1, s0;
    sigmoid_terms(z, &p, &q, &s1, &s0);
    double loss = 0.0;
    if (y != 0.0) loss += y * a_pos * power(q, gp) * s1;
    if (y != 1.0) {
        if (m > 0.0) {
            double grad, hess;
            loss += (1.0 - y) * clipped_negative(z, gn, m, a_neg, EXACT, &grad, &hess);
        } else {
            loss += (1.0 - y) * a_neg * power(p, gn) * s0;
        }
    }
    return loss;
}

/* Both classes' parts for a soft label; the clipped negative part if m > 0. */
ALWAYS_INLINE void soft_grad_hess(double y, double z, double gp, double gn, double m,
                                  double a_pos, double a_neg, int policy, double *grad,
                                  double *hess) {
    double floor = HESSIAN_FLOOR * (y * a_pos + (1.0 - y) * a_neg);
    if (m > 0.0) {
        /* The policies that adjust the exact value apply to the sum of the parts. */
        int inner = policy == SURROGATE || policy == FISHER ? policy : EXACT;
        double gr, h, gr_neg, h_neg;
        hard_grad_hess(z, gp, a_pos, inner, &gr, &h);
        clipped_negative(z, gn, m, a_neg, inner, &gr_neg, &h_neg);
        *grad = y * gr + (1.0 - y) * gr_neg;
        *hess = adjusted(y * h + (1.0 - y) * h_neg, floor, policy);
        return;
    }
    double p, q, s1, s0;
    sigmoid_terms(z, &p, &q, &s1, &s0);
    /* Hard labels skip the other class's pow entirely. */
    double w_pos = y != 0.0 ? y * a_pos * power(q, gp) : 0.0;
    double w_neg = y != 1.0 ? (1.0 - y) * a_neg * power(p, gn) : 0.0;
    /* p s1 and q s0 are bounded by 1/e: formed first, they keep the Hessian
     * finite where g s1 alone would overflow (z near -1.8e308). */
    double ps1 = p * s1;
    double qs0 = q * s0;
    *grad = w_neg * (p + gn * qs0) - w_pos * (q + gp * ps1);
    if (policy == SURROGATE) {
        *hess = (w_pos + w_neg) * (p * q);
    } else if (policy == FISHER) {
        *hess = (y * a_pos + (1.0 - y) * a_neg) * (p * q);
    } else {
        double h = 0.0;
        if (w_pos != 0.0) h += w_pos * (q * ((2.0 * gp + 1.0) * p - gp * ps1) + gp * gp * p * ps1);
        if (w_neg != 0.0) h += w_neg * (p * ((2.0 * gn + 1.0) * q - gn * qs0) + gn * gn * q * qs0);
        *hess = adjusted(h, floor, policy);
    }
}

/* Gradient and Hessian of one element, precise; hard labels by the shorter formula. */
ALWAYS_INLINE void element_grad_hess(double y, double z, double gp, double gn, double m,
                                     double a_pos, double a_neg, int policy, double *grad,
                                     double *hess) {
    if (y == 1.0) {
        hard_grad_hess(z, gp, a_pos, policy, grad, hess);
    } else if (y == 0.0) {
        if (m > 0.0) {
            clipped_negative(z, gn, m, a_neg, policy, grad, hess);
        } else {
            hard_grad_hess(-z, gn, a_neg, policy, grad, hess);
            *grad = -*grad;
        }
    } else {
        soft_grad_hess(y, z, gp, gn, m, a_pos, a_neg, policy, grad, hess);
    }
}

/* --------------------------------------------- binary, vectorised blocks */

/* The terms of a hard-label row from the polynomials: label sign, class
 * weight, gamma (and its bits, for small_power), P, Q, S and -log Q. */
typedef struct {
    int positive_label, g_bits;
    double a, g, t, abs_t, e, P, Q, S, softplus_t;
} HardTerms;

ALWAYS_INLINE HardTerms hard_terms(double y, double z, double gp, double gn, double a_pos,
                                   double a_neg) {
    HardTerms h;
    h.positive_label = y == 1.0;
    h.t = h.positive_label ? z : -z;
    h.a = h.positive_label ? a_pos : a_neg;
    h.g = h.positive_label ? gp : gn;
    h.g_bits = h.positive_label ? (int)gp : (int)gn; /* used for small gammas only */
    h.abs_t = fabs(h.t);
    h.e = exp_neg_or_zero(h.abs_t);
    double inv = 1.0 / (1.0 + h.e);
    double log_d = log1p_unit(h.e);
    int t_positive = h.t >= 0.0;
    h.P = t_positive ? inv : h.e * inv;
    h.Q = t_positive ? h.e * inv : inv;
    h.S = t_positive ? log_d : h.abs_t + log_d;
    h.softplus_t = (t_positive ? h.t : 0.0) + log_d;
    return h;
}

/* One loop per (policy, small gammas) pair: both are constants in each copy
 * of this body, so no copy tests them per row. */
ALWAYS_INLINE void hard_loop(const double *y, const double *z, Py_ssize_t n, double gp,
                             double gn, double a_pos, double a_neg, int policy, int small,
                             double *grad, double *hess) {
    for (Py_ssize_t i = 0; i < n; i++) {
        HardTerms h = hard_terms(y[i], z[i], gp, gn, a_pos, a_neg);
        double Qg = small ? small_power(h.Q, h.g_bits) : exp_neg_or_zero(h.g * h.softplus_t);
        double gr, hs;
        hard_derivatives(h.P, h.Q, h.S, Qg, h.g, h.a, policy, &gr, &hs);
        grad[i] = h.positive_label ? gr : -gr;
        hess[i] = hs;
    }
}

/* policy as a constant in each case (for the loops above and below). */
#define FOR_EACH_POLICY(CALL)        \
    switch (policy) {                \
        case CLIP: CALL(CLIP); break;   \
        case ABS: CALL(ABS); break;     \
        case SURROGATE: CALL(SURROGATE); break; \
        case FISHER: CALL(FISHER); break;       \
        default: CALL(EXACT); break;    \
    }

/* Gradient and Hessian (unweighted) of rows with labels 0/1 into grad / hess. */
HOT_LOOP static void hard_block(const double *y, const double *z, Py_ssize_t n, double gp,
                                double gn, double a_pos, double a_neg, int policy,
                                double *grad, double *hess) {
    int small = is_small_gamma(gp) && is_small_gamma(gn);
#define HARD_LOOP(POLICY)                                                              \
    if (small) hard_loop(y, z, n, gp, gn, a_pos, a_neg, POLICY, 1, grad, hess);      \
    else hard_loop(y, z, n, gp, gn, a_pos, a_neg, POLICY, 0, grad, hess)
    FOR_EACH_POLICY(HARD_LOOP)
#undef HARD_LOOP
}

/* One hard-label row with a probability margin m > 0 (section 9), branch-free.
 * Positives: the focal part with gp. Negatives: the clipped part, from
 * p = Q and q = P of t = -z; the row computes both and keeps its own.
 * After inlining, the powers are products (small gammas) or exponentials. */
ALWAYS_INLINE void clipped_row(double y, double z, double gp, double gn, double m,
                               double a_pos, double a_neg, int policy, int small,
                               double *grad, double *hess) {
    HardTerms h = hard_terms(y, z, gp, gn, a_pos, a_neg);
    double p = h.Q, q = h.P; /* the negative part's p and q */
    double u = p < 0.5 ? p - m : (1.0 - m) - q;
    double v = q + m;
    int active = u > 0.0;
    double su = active ? u : 0.5;
    /* One log1p series per row, on the argument its label needs: log1p(e) for
     * a positive's S; for a negative's c = -log(1 - u), log1p(-u) near the
     * kink (u exact) and log(v) (exponent bits + log1p) beyond u = 1/2. */
    double e_v;
    double k_v = log_reduced(v, &e_v);
    int near = su <= 0.5;
    double log1p_arg = log1p_unit(h.positive_label ? h.e : (near ? -su : e_v));
    int t_positive = h.t >= 0.0;
    double S = t_positive ? log1p_arg : h.abs_t + log1p_arg;
    double softplus_t = (t_positive ? h.t : 0.0) + log1p_arg;
    double Qg = small ? small_power(h.Q, (int)gp) : exp_neg_or_zero(gp * softplus_t);
    double gr_pos, h_pos;
    hard_derivatives(h.P, h.Q, S, Qg, gp, h.a, policy, &gr_pos, &h_pos);
    double c = -((near ? 0.0 : k_v) * LN2 + log1p_arg);
    /* 1/u and 1/v from one division (the slowest vector operation) */
    double inv_uv = 1.0 / (su * v);
    double inv_u = v * inv_uv;
    double inv_v = su * inv_uv;
    double ratio = c * inv_u;
    double ug = small ? small_power(su, (int)gn)
                      : exp_neg_or_zero(-gn * log_normal(su > DBL_MIN ? su : DBL_MIN));
    double d1 = ug * (gn * ratio + inv_v);
    double curvature = gn * (ug * inv_u) * ((gn - 1.0) * ratio + 2.0 * inv_v);
    double d2 = ug * inv_v * inv_v + (gn != 0.0 ? curvature : 0.0);
    double gr_neg, h_neg;
    clipped_derivatives(p, q, d1, d2, ug, h.a, policy, &gr_neg, &h_neg);
    double floor = policy == CLIP ? HESSIAN_FLOOR * h.a : 0.0;
    h_neg = active ? h_neg : floor;
    gr_neg = active ? gr_neg : 0.0;
    *grad = h.positive_label ? gr_pos : gr_neg;
    *hess = h.positive_label ? h_pos : h_neg;
}

ALWAYS_INLINE void clipped_loop(const double *y, const double *z, Py_ssize_t n, double gp,
                                double gn, double m, double a_pos, double a_neg, int policy,
                                int small, double *grad, double *hess) {
    for (Py_ssize_t i = 0; i < n; i++)
        clipped_row(y[i], z[i], gp, gn, m, a_pos, a_neg, policy, small, &grad[i], &hess[i]);
}

/* Rows with labels 0/1 and a probability margin m > 0. */
HOT_LOOP static void clipped_block(const double *y, const double *z, Py_ssize_t n, double gp,
                                   double gn, double m, double a_pos, double a_neg, int policy,
                                   double *grad, double *hess) {
    int small = is_small_gamma(gp) && is_small_gamma(gn);
#define CLIPPED_LOOP(POLICY)                                                              \
    if (small) clipped_loop(y, z, n, gp, gn, m, a_pos, a_neg, POLICY, 1, grad, hess);   \
    else clipped_loop(y, z, n, gp, gn, m, a_pos, a_neg, POLICY, 0, grad, hess)
    FOR_EACH_POLICY(CLIPPED_LOOP)
#undef CLIPPED_LOOP
}

/* Loss (unweighted) of rows with labels 0/1, gammas in {0, ..., 4}, no clip. */
HOT_LOOP static void hard_loss_block(const double *y, const double *z, Py_ssize_t n,
                                     double gp, double gn, double a_pos, double a_neg,
                                     double *loss) {
    for (Py_ssize_t i = 0; i < n; i++) {
        HardTerms h = hard_terms(y[i], z[i], gp, gn, a_pos, a_neg);
        loss[i] = h.a * small_power(h.Q, h.g_bits) * h.S;
    }
}

/* The number of rows a block's polynomial path cannot take: soft labels, and
 * margins beyond limit (NaN included). */
HOT_LOOP static Py_ssize_t count_unfit(const double *y, const double *z, Py_ssize_t n,
                                       double limit) {
    Py_ssize_t unfit = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        unfit += ((y[i] != 0.0) & (y[i] != 1.0)) | !(fabs(z[i]) <= limit);
    return unfit;
}

HOT_LOOP static void convert_margins(const float *z, Py_ssize_t n, double *out) {
    for (Py_ssize_t i = 0; i < n; i++) out[i] = z[i];
}

/* out[start + i] = w_i * value_i (w_i = 1 without weights), in float32 or
 * float64, each value first rounded to 21 bits with round21. */
#define STORE_LOOP(TYPE, VALUE)                                                     \
    do {                                                                            \
        TYPE *o = (TYPE *)out + start;                                              \
        if (weight) {                                                               \
            for (Py_ssize_t i = 0; i < n; i++) o[i] = (TYPE)(weight[i] * (VALUE));  \
        } else {                                                                    \
            for (Py_ssize_t i = 0; i < n; i++) o[i] = (TYPE)(VALUE);                \
        }                                                                           \
    } while (0)

HOT_LOOP static void store_weighted(const double *values, Py_ssize_t n, const double *weight,
                                    int round21, void *out, int out32, Py_ssize_t start) {
    if (round21 && out32) STORE_LOOP(float, round_21_bits(values[i]));
    else if (round21) STORE_LOOP(double, round_21_bits(values[i]));
    else if (out32) STORE_LOOP(float, values[i]);
    else STORE_LOOP(double, values[i]);
}

/* ---------------------------------------------------------- binary calls */

typedef struct {
    const double *y;      /* (n, k) labels */
    const void *z;        /* (n, k) margins, float32 if z32 else float64 */
    int z32;
    Py_ssize_t k;
    const double *gp, *gn, *clip, *a_pos, *a_neg; /* (k,) each */
    const double *weight; /* (n,) or NULL */
    int policy, round21;
    void *grad, *hess;    /* (n, k), float32 if out32 else float64 */
    int out32;
    double *loss;         /* (n, k) float64 per-element losses, or NULL: sum only */
} BinaryCall;

ALWAYS_INLINE double margin_at(const void *z, int z32, Py_ssize_t index) {
    return z32 ? (double)((const float *)z)[index] : ((const double *)z)[index];
}

ALWAYS_INLINE void store_at(void *out, int out32, Py_ssize_t index, double value) {
    if (out32)
        ((float *)out)[index] = (float)value;
    else
        ((double *)out)[index] = value;
}

/* Labels and margins of rows start:start + n of column j, as float64: pointers
 * into the call's arrays where they are that already (one column, float64
 * margins), else into y_buffer / z_buffer, filled here. */
static void gather_column(const BinaryCall *call, Py_ssize_t start, Py_ssize_t n, Py_ssize_t j,
                          double *y_buffer, double *z_buffer, const double **y,
                          const double **z) {
    Py_ssize_t k = call->k;
    if (k == 1) {
        *y = call->y + start;
        if (call->z32) {
            convert_margins((const float *)call->z + start, n, z_buffer);
            *z = z_buffer;
        } else {
            *z = (const double *)call->z + start;
        }
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        y_buffer[i] = call->y[(start + i) * k + j];
        z_buffer[i] = margin_at(call->z, call->z32, (start + i) * k + j);
    }
    *y = y_buffer;
    *z = z_buffer;
}

/* out[start + i, j] = w_i * value_i, as store_weighted for any number of columns. */
static void scatter_column(const BinaryCall *call, const double *values, Py_ssize_t start,
                           Py_ssize_t n, Py_ssize_t j, void *out) {
    const double *weight = call->weight ? call->weight + start : NULL;
    Py_ssize_t k = call->k;
    if (k == 1) {
        store_weighted(values, n, weight, call->round21, out, call->out32, start);
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        double value = call->round21 ? round_21_bits(values[i]) : values[i];
        store_at(out, call->out32, (start + i) * k + j, weight ? weight[i] * value : value);
    }
}

/* Unweighted gradient and Hessian of n rows of column j: the polynomial path
 * for a block where it gives the precise path's numbers (see the top of this
 * file), else the precise one. Every column of a 2-D call is computed as a
 * 1-D call of that column would be. */
static void column_grad_hess(const BinaryCall *call, Py_ssize_t j, const double *y,
                             const double *z, Py_ssize_t n, double *grad, double *hess) {
    double gp = call->gp[j], gn = call->gn[j], m = call->clip[j];
    double a_pos = call->a_pos[j], a_neg = call->a_neg[j];
    int small = is_small_gamma(gp) && is_small_gamma(gn);
    int polynomials = call->round21 || (small && m == 0.0);
    double limit = call->round21 ? INFINITY : BLOCK_MARGIN_LIMIT;
    if (polynomials && count_unfit(y, z, n, limit) == 0) {
        if (m > 0.0)
            clipped_block(y, z, n, gp, gn, m, a_pos, a_neg, call->policy, grad, hess);
        else
            hard_block(y, z, n, gp, gn, a_pos, a_neg, call->policy, grad, hess);
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        element_grad_hess(y[i], z[i], gp, gn, m, a_pos, a_neg, call->policy, &grad[i],
                          &hess[i]);
}

/* Unweighted losses of n rows of column j, as column_grad_hess. */
static void column_loss(const BinaryCall *call, Py_ssize_t j, const double *y, const double *z,
                        Py_ssize_t n, double *loss) {
    double gp = call->gp[j], gn = call->gn[j], m = call->clip[j];
    double a_pos = call->a_pos[j], a_neg = call->a_neg[j];
    if (m == 0.0 && is_small_gamma(gp) && is_small_gamma(gn)
        && count_unfit(y, z, n, BLOCK_MARGIN_LIMIT) == 0) {
        hard_loss_block(y, z, n, gp, gn, a_pos, a_neg, loss);
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        loss[i] = binary_loss_value(y[i], z[i], gp, gn, m, a_pos, a_neg);
}

static double binary_grad_hess_rows(const void *context, Py_ssize_t lo, Py_ssize_t hi) {
    const BinaryCall *call = context;
    double yb[BLOCK], zb[BLOCK], gb[BLOCK], hb[BLOCK];
    for (Py_ssize_t start = lo; start < hi; start += BLOCK) {
        Py_ssize_t n = hi - start < BLOCK ? hi - start : BLOCK;
        for (Py_ssize_t j = 0; j < call->k; j++) {
            const double *y, *z;
            gather_column(call, start, n, j, yb, zb, &y, &z);
            column_grad_hess(call, j, y, z, n, gb, hb);
            scatter_column(call, gb, start, n, j, call->grad);
            scatter_column(call, hb, start, n, j, call->hess);
        }
    }
    return 0.0;
}

/* Per-element weighted losses into call->loss, or (loss NULL) their sum. */
static double binary_loss_rows(const void *context, Py_ssize_t lo, Py_ssize_t hi) {
    const BinaryCall *call = context;
    Py_ssize_t k = call->k;
    double yb[BLOCK], zb[BLOCK], lb[BLOCK];
    double total = 0.0;
    for (Py_ssize_t start = lo; start < hi; start += BLOCK) {
        Py_ssize_t n = hi - start < BLOCK ? hi - start : BLOCK;
        const double *weight = call->weight ? call->weight + start : NULL;
        for (Py_ssize_t j = 0; j < k; j++) {
            const double *y, *z;
            gather_column(call, start, n, j, yb, zb, &y, &z);
            column_loss(call, j, y, z, n, lb);
            if (call->loss) {
                for (Py_ssize_t i = 0; i < n; i++)
                    call->loss[(start + i) * k + j] = weight ? weight[i] * lb[i] : lb[i];
            } else {
                for (Py_ssize_t i = 0; i < n; i++) total += weight ? weight[i] * lb[i] : lb[i];
            }
        }
    }
    return total;
}

/* --------------------------------------------------------------- softmax */

/* Rows per task of the softmax kernels. */
#define ROW_CHUNK 256

typedef struct {
    const int64_t *labels; /* (n,) class indices in [0, k) */
    const void *z;         /* (n, k) */
    int z32;
    Py_ssize_t k;
    double gamma;
    const double *alpha;   /* (k,) */
    const double *weight;  /* (n,) or NULL */
    int policy, round21;
    double hess_scale;     /* multiplies the Hessian (a booster's own softmax scaling) */
    void *grad, *hess;
    int out32;
    double *loss;          /* (n,) or NULL: sum only */
    int out_of_memory;     /* set by a task whose scratch could not be allocated */
} SoftmaxCall;

/* ex[j] = exp(-d[j]) for d >= 0 by the polynomial exp: one or two vector
 * iterations per row instead of k calls to the C library's exp. */
HOT_LOOP static void exps_of(const double *d, double *ex, Py_ssize_t k) {
    for (Py_ssize_t j = 0; j < k; j++) ex[j] = exp_neg_or_zero(d[j]);
}

typedef struct {
    double zmax;
    Py_ssize_t top;   /* the largest margin's class */
    double e_c;       /* exp(z_c - zmax) */
    double s_others;  /* the sum over the other classes */
    double s_not_top; /* the sum over all classes but the top one */
    double t;         /* -log p_c */
} RowTerms;

/* Shifted-exponential sums of one row (margins z, float64): what every softmax
 * term needs. The exponentials exp(z_j - zmax) are left in ex. fast (the
 * boosters' 21-bit path) takes them from the polynomial, which flushes those
 * below float64's smallest normal to 0; otherwise from the C library. */
ALWAYS_INLINE RowTerms softmax_row_terms(Py_ssize_t c, const double *z, Py_ssize_t k,
                                         double *ex, double *shifted, int fast) {
    RowTerms r;
    r.zmax = z[0];
    r.top = 0;
    for (Py_ssize_t j = 1; j < k; j++) {
        if (z[j] > r.zmax) {
            r.zmax = z[j];
            r.top = j;
        }
    }
    if (fast) {
        for (Py_ssize_t j = 0; j < k; j++) shifted[j] = r.zmax - z[j]; /* inf gives 0 */
        exps_of(shifted, ex, k);
    } else {
        for (Py_ssize_t j = 0; j < k; j++) {
            /* Margins more than the float64 range apart overflow the difference;
             * the clamp keeps -log p_c finite. */
            double d = z[j] - r.zmax;
            ex[j] = exp(d > -DBL_MAX ? d : -DBL_MAX);
        }
    }
    r.s_others = 0.0;
    r.s_not_top = 0.0;
    r.e_c = 0.0;
    for (Py_ssize_t j = 0; j < k; j++) {
        double e = ex[j];
        if (j == c)
            r.e_c = e;
        else
            r.s_others += e;
        if (j != r.top) r.s_not_top += e;
    }
    double ratio = r.e_c > 0.0 ? r.s_others / r.e_c : INFINITY;
    if (ratio < INFINITY) {
        r.t = log1p(ratio); /* accurate when p_c is near 1 */
    } else {
        double d = z[c] - r.zmax;
        r.t = log(r.e_c + r.s_others) - (d > -DBL_MAX ? d : -DBL_MAX);
    }
    return r;
}

/* The Hessian policy applied to one exact diagonal term h (before alpha). */
ALWAYS_INLINE double softmax_policy(double h, double rg, double p_j, double one_minus,
                                    int policy) {
    if (policy == SURROGATE) return rg * p_j * one_minus;
    if (policy == FISHER) return p_j * one_minus;
    return adjusted(h, HESSIAN_FLOOR, policy);
}

/* Scratch of one task: the row's margins, exponentials, shifted margins,
 * gradient and Hessian, k each. */
static double *softmax_scratch(Py_ssize_t k) {
    return malloc((size_t)(5 * k) * sizeof(double));
}

static void load_row(const SoftmaxCall *call, Py_ssize_t i, double *row) {
    for (Py_ssize_t j = 0; j < call->k; j++)
        row[j] = margin_at(call->z, call->z32, i * call->k + j);
}

/* Loss per row, or their weighted sum (loss NULL). */
static double softmax_loss_rows(const void *context, Py_ssize_t lo, Py_ssize_t hi) {
    const SoftmaxCall *call = context;
    Py_ssize_t k = call->k;
    double *scratch = softmax_scratch(k);
    if (!scratch) {
        ((SoftmaxCall *)context)->out_of_memory = 1;
        return 0.0;
    }
    double *row = scratch, *ex = scratch + k, *shifted = scratch + 2 * k;
    double total = 0.0;
    for (Py_ssize_t i = lo; i < hi; i++) {
        Py_ssize_t c = (Py_ssize_t)call->labels[i];
        load_row(call, i, row);
        RowTerms r = softmax_row_terms(c, row, k, ex, shifted, 0);
        double rest = r.s_others / (r.e_c + r.s_others);
        double value = (call->weight ? call->weight[i] : 1.0) * call->alpha[c]
                       * power(rest, call->gamma) * r.t;
        if (call->loss)
            call->loss[i] = value;
        else
            total += value;
    }
    free(scratch);
    return total;
}

/* Gradient and Hessian diagonal of the softmax focal loss, row by row.
 *
 * With P = p_c, r = 1 - P (the other classes' share), t = -log P, a = alpha_c:
 * G_c = -a r^g (r + g P t), G_j = a r^g (1 + g P t / r) p_j, and
 * H_c = a [A + r^g P (r + g P t)], H_j = a [rho_j^2 A + r^g (1 + g P t / r) p_j (1 - p_j)]
 * with A = g r^g [r P (2 - t) + (g - 1) P^2 t] and rho_j = p_j / r.
 *
 * Every class is first computed by the j != c formulas in one loop (1 - p_j
 * as (s - e_j) / s, exact unless j is the top class); then the true class and
 * the top class are overwritten with their own forms. */
HOT_LOOP static void softmax_grad_hess_row(const double *row, Py_ssize_t c, Py_ssize_t k,
                                           double g, double a_c, int policy, int fast,
                                           double *ex, double *shifted, double *grad_row,
                                           double *hess_row) {
    RowTerms rt = softmax_row_terms(c, row, k, ex, shifted, fast);
    double t = rt.t;
    double s = rt.e_c + rt.s_others;
    double inv_s = 1.0 / s;
    double P = rt.e_c * inv_s;
    double r = rt.s_others * inv_s;
    double t_over_r = r > 0.0 ? t / r : 1.0; /* -> 1 as r -> 0 */
    double rg = power(r, g);
    double other = rg * (1.0 + g * P * t_over_r);
    double A = g * rg * (r * P * (2.0 - t) + (g - 1.0) * P * P * t);
    /* rho_j = e_j / s_others as e_j * (1 / s_others): one division per row.
     * When the true class leads every other by ~709.8-745 the sum is
     * subnormal and its reciprocal overflows (inf * 0 = NaN below), so both
     * are scaled by 2^1000 there: still exact, finite for any subnormal. */
    double scale = rt.s_others >= DBL_MIN ? 1.0 : TWO_1000;
    double inv_others = rt.s_others > 0.0 ? 1.0 / (rt.s_others * scale) : 0.0;
    for (Py_ssize_t j = 0; j < k; j++) {
        double e = ex[j];
        double p_j = e * inv_s;
        double one_minus = (s - e) * inv_s;
        double rho = (e * scale) * inv_others;
        grad_row[j] = a_c * (other * p_j);
        hess_row[j] = a_c * softmax_policy(rho * rho * A + other * p_j * one_minus, rg, p_j,
                                           one_minus, policy);
    }
    if (rt.top != c) { /* 1 - p_top may be near 0: from the sum of the others */
        double e = ex[rt.top];
        double p_j = e * inv_s;
        double one_minus = rt.s_not_top * inv_s;
        double rho = (e * scale) * inv_others;
        hess_row[rt.top] = a_c * softmax_policy(rho * rho * A + other * p_j * one_minus, rg,
                                                p_j, one_minus, policy);
    }
    double one_minus = c == rt.top ? rt.s_not_top * inv_s : (s - rt.e_c) * inv_s;
    grad_row[c] = a_c * (-rg * (r + g * P * t));
    hess_row[c] = a_c * softmax_policy(A + rg * P * (r + g * P * t), rg, P, one_minus, policy);
}

static double softmax_grad_hess_rows(const void *context, Py_ssize_t lo, Py_ssize_t hi) {
    const SoftmaxCall *call = context;
    Py_ssize_t k = call->k;
    double *scratch = softmax_scratch(k);
    if (!scratch) {
        ((SoftmaxCall *)context)->out_of_memory = 1;
        return 0.0;
    }
    double *row = scratch, *ex = scratch + k, *shifted = scratch + 2 * k;
    double *grad_row = scratch + 3 * k, *hess_row = scratch + 4 * k;
    for (Py_ssize_t i = lo; i < hi; i++) {
        Py_ssize_t c = (Py_ssize_t)call->labels[i];
        load_row(call, i, row);
        softmax_grad_hess_row(row, c, k, call->gamma, call->alpha[c], call->policy,
                              call->round21, ex, shifted, grad_row, hess_row);
        const double weight_i = call->weight ? call->weight[i] : 1.0;
        for (Py_ssize_t j = 0; j < k; j++) {
            double g = grad_row[j], h = call->hess_scale * hess_row[j];
            if (call->round21) {
                g = round_21_bits(g);
                h = round_21_bits(h);
            }
            store_at(call->grad, call->out32, i * k + j, weight_i * g);
            store_at(call->hess, call->out32, i * k + j, weight_i * h);
        }
    }
    free(scratch);
    return 0.0;
}

/* ----------------------------------------------------------- the threads */

typedef double (*RowsFunction)(const void *context, Py_ssize_t lo, Py_ssize_t hi);

/* rows(context, lo, hi) over chunks of `chunk` rows on `threads` threads;
 * returns the sum of what the calls return. */
static double run_rows(RowsFunction rows, const void *context, Py_ssize_t n, Py_ssize_t chunk,
                       int threads) {
    Py_ssize_t n_chunks = (n + chunk - 1) / chunk;
    double total = 0.0;
#ifdef _OPENMP
    if (threads > 1 && n_chunks > 1) {
        if (threads > n_chunks) threads = (int)n_chunks;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : total)
        for (Py_ssize_t b = 0; b < n_chunks; b++) {
            Py_ssize_t hi = (b + 1) * chunk < n ? (b + 1) * chunk : n;
            total += rows(context, b * chunk, hi);
        }
        return total;
    }
#else
    (void)threads;
#endif
    for (Py_ssize_t b = 0; b < n_chunks; b++) {
        Py_ssize_t hi = (b + 1) * chunk < n ? (b + 1) * chunk : n;
        total += rows(context, b * chunk, hi);
    }
    return total;
}

/* --------------------------------------------------- the Python interface */

enum { ANY_FLOAT, FLOAT64, INT64 };
#define ANY_SIZE PY_SSIZE_T_MIN

/* A C-contiguous buffer of `count` elements (count < 0: 0 or -count, for the
 * optional weights; ANY_SIZE: any number) of the kind asked for; *is32 says float32 for ANY_FLOAT.
 * The arrays come from _loss.py, which makes them so: a mismatch is a bug
 * there, reported rather than read out of bounds. */
static int get_array(PyObject *obj, Py_buffer *view, const char *name, int writable, int kind,
                     Py_ssize_t count, int *is32) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    const char *format = view->format ? view->format : "B";
    while (*format == '@' || *format == '=' || *format == '<') format++;
    char code = format[0] != '\0' && format[1] == '\0' ? format[0] : '?';
    int ok;
    if (kind == ANY_FLOAT) {
        ok = (code == 'f' && view->itemsize == 4) || (code == 'd' && view->itemsize == 8);
        if (is32) *is32 = code == 'f';
    } else if (kind == FLOAT64) {
        ok = code == 'd' && view->itemsize == 8;
    } else {
        ok = (code == 'q' || code == 'l') && view->itemsize == 8;
    }
    Py_ssize_t n = ok ? view->len / view->itemsize : 0;
    ok = ok && (count == ANY_SIZE || (count >= 0 ? n == count : (n == 0 || n == -count)));
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "focal_gbm._kernels: %s has the wrong type or size", name);
        PyBuffer_Release(view);
        view->obj = NULL;
        return -1;
    }
    return 0;
}

#define MAX_ARRAYS 12

typedef struct {
    Py_buffer views[MAX_ARRAYS];
    int used;
} Arrays;

static void release_all(Arrays *arrays) {
    for (int i = 0; i < arrays->used; i++)
        if (arrays->views[i].obj) PyBuffer_Release(&arrays->views[i]);
}

/* The next array of a call; returns its data, or NULL with an exception set. */
static void *take(Arrays *arrays, PyObject *obj, const char *name, int writable, int kind,
                  Py_ssize_t count, int *is32) {
    Py_buffer *view = &arrays->views[arrays->used];
    view->obj = NULL;
    if (get_array(obj, view, name, writable, kind, count, is32) < 0) return NULL;
    arrays->used++;
    return view->buf;
}

/* The gradient and Hessian outputs: writable, n_elements each, of one float type. */
static int take_outputs(Arrays *arrays, PyObject *grad, PyObject *hess, Py_ssize_t n_elements,
                        void **grad_data, void **hess_data, int *out32) {
    int hess32;
    if (!(*grad_data = take(arrays, grad, "grad", 1, ANY_FLOAT, n_elements, out32))) return -1;
    if (!(*hess_data = take(arrays, hess, "hess", 1, ANY_FLOAT, n_elements, &hess32))) return -1;
    if (*out32 != hess32) {
        PyErr_SetString(PyExc_ValueError, "focal_gbm._kernels: grad and hess differ in type");
        return -1;
    }
    return 0;
}

static int check_policy(int policy) {
    if (policy >= 0 && policy < N_POLICIES) return 0;
    PyErr_Format(PyExc_ValueError, "focal_gbm._kernels: no Hessian policy %d", policy);
    return -1;
}

/* The binary parameters, one value per column each. */
static int take_binary(Arrays *arrays, BinaryCall *call, PyObject *y, PyObject *z,
                       PyObject *params[5], PyObject *weight, Py_ssize_t n) {
    Py_ssize_t k = call->k;
    call->y = take(arrays, y, "y", 0, FLOAT64, n * k, NULL);
    if (!call->y) return -1;
    call->z = take(arrays, z, "z", 0, ANY_FLOAT, n * k, &call->z32);
    if (!call->z) return -1;
    const double **targets[5] = {&call->gp, &call->gn, &call->clip, &call->a_pos, &call->a_neg};
    static const char *const names[5] = {"gamma_pos", "gamma_neg", "clip", "alpha_pos",
                                         "alpha_neg"};
    for (int i = 0; i < 5; i++) {
        *targets[i] = take(arrays, params[i], names[i], 0, FLOAT64, k, NULL);
        if (!*targets[i]) return -1;
    }
    Py_buffer *w = &arrays->views[arrays->used];
    if (!take(arrays, weight, "weight", 0, FLOAT64, -n, NULL)) return -1;
    call->weight = w->len ? w->buf : NULL;
    return 0;
}

static PyObject *py_binary_loss(PyObject *self, PyObject *args, int sum_only) {
    PyObject *y, *z, *params[5], *weight, *out = Py_None;
    Py_ssize_t n, k;
    int threads;
    BinaryCall call = {0};
    Arrays arrays = {.used = 0};
    int parsed = sum_only
        ? PyArg_ParseTuple(args, "OOOOOOOOnni", &y, &z, &params[0], &params[1], &params[2],
                           &params[3], &params[4], &weight, &n, &k, &threads)
        : PyArg_ParseTuple(args, "OOOOOOOOOnni", &y, &z, &params[0], &params[1], &params[2],
                           &params[3], &params[4], &weight, &out, &n, &k, &threads);
    if (!parsed) return NULL;
    call.k = k;
    if (take_binary(&arrays, &call, y, z, params, weight, n) < 0) goto fail;
    if (!sum_only && !(call.loss = take(&arrays, out, "out", 1, FLOAT64, n * k, NULL)))
        goto fail;
    double total;
    Py_BEGIN_ALLOW_THREADS
    total = run_rows(binary_loss_rows, &call, n, 8 * BLOCK, threads);
    Py_END_ALLOW_THREADS
    release_all(&arrays);
    return sum_only ? PyFloat_FromDouble(total) : Py_NewRef(Py_None);
fail:
    release_all(&arrays);
    return NULL;
}

static PyObject *py_binary_loss_values(PyObject *self, PyObject *args) {
    return py_binary_loss(self, args, 0);
}

static PyObject *py_binary_loss_sum(PyObject *self, PyObject *args) {
    return py_binary_loss(self, args, 1);
}

static PyObject *py_binary_grad_hess(PyObject *self, PyObject *args) {
    PyObject *y, *z, *params[5], *weight, *grad, *hess;
    Py_ssize_t n, k;
    int policy, round21, threads;
    BinaryCall call = {0};
    Arrays arrays = {.used = 0};
    if (!PyArg_ParseTuple(args, "OOOOOOOOipOOnni", &y, &z, &params[0], &params[1], &params[2],
                          &params[3], &params[4], &weight, &policy, &round21, &grad, &hess, &n,
                          &k, &threads))
        return NULL;
    if (check_policy(policy) < 0) return NULL;
    call.k = k;
    call.policy = policy;
    call.round21 = round21;
    if (take_binary(&arrays, &call, y, z, params, weight, n) < 0) goto fail;
    if (take_outputs(&arrays, grad, hess, n * k, &call.grad, &call.hess, &call.out32) < 0)
        goto fail;
    Py_BEGIN_ALLOW_THREADS
    run_rows(binary_grad_hess_rows, &call, n, 8 * BLOCK, threads);
    Py_END_ALLOW_THREADS
    release_all(&arrays);
    Py_RETURN_NONE;
fail:
    release_all(&arrays);
    return NULL;
}

static int take_softmax(Arrays *arrays, SoftmaxCall *call, PyObject *labels, PyObject *z,
                        PyObject *alpha, PyObject *weight, Py_ssize_t n) {
    Py_ssize_t k = call->k;
    call->labels = take(arrays, labels, "labels", 0, INT64, n, NULL);
    if (!call->labels) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (call->labels[i] < 0 || call->labels[i] >= k) {
            PyErr_Format(PyExc_ValueError, "focal_gbm._kernels: label %lld outside [0, %zd)",
                         (long long)call->labels[i], k);
            return -1;
        }
    }
    call->z = take(arrays, z, "z", 0, ANY_FLOAT, n * k, &call->z32);
    if (!call->z) return -1;
    call->alpha = take(arrays, alpha, "alpha", 0, FLOAT64, k, NULL);
    if (!call->alpha) return -1;
    Py_buffer *w = &arrays->views[arrays->used];
    if (!take(arrays, weight, "weight", 0, FLOAT64, -n, NULL)) return -1;
    call->weight = w->len ? w->buf : NULL;
    return 0;
}

static PyObject *py_softmax_loss(PyObject *self, PyObject *args, int sum_only) {
    PyObject *labels, *z, *alpha, *weight, *out = Py_None;
    Py_ssize_t n, k;
    int threads;
    SoftmaxCall call = {0};
    Arrays arrays = {.used = 0};
    int parsed = sum_only
        ? PyArg_ParseTuple(args, "OOdOOnni", &labels, &z, &call.gamma, &alpha, &weight, &n, &k,
                           &threads)
        : PyArg_ParseTuple(args, "OOdOOOnni", &labels, &z, &call.gamma, &alpha, &weight, &out,
                           &n, &k, &threads);
    if (!parsed) return NULL;
    call.k = k;
    if (take_softmax(&arrays, &call, labels, z, alpha, weight, n) < 0) goto fail;
    if (!sum_only && !(call.loss = take(&arrays, out, "out", 1, FLOAT64, n, NULL))) goto fail;
    double total;
    Py_BEGIN_ALLOW_THREADS
    total = run_rows(softmax_loss_rows, &call, n, ROW_CHUNK, threads);
    Py_END_ALLOW_THREADS
    release_all(&arrays);
    if (call.out_of_memory) return PyErr_NoMemory();
    return sum_only ? PyFloat_FromDouble(total) : Py_NewRef(Py_None);
fail:
    release_all(&arrays);
    return NULL;
}

static PyObject *py_softmax_loss_values(PyObject *self, PyObject *args) {
    return py_softmax_loss(self, args, 0);
}

static PyObject *py_softmax_loss_sum(PyObject *self, PyObject *args) {
    return py_softmax_loss(self, args, 1);
}

static PyObject *py_softmax_grad_hess(PyObject *self, PyObject *args) {
    PyObject *labels, *z, *alpha, *weight, *grad, *hess;
    Py_ssize_t n, k;
    int policy, round21, threads;
    SoftmaxCall call = {0};
    Arrays arrays = {.used = 0};
    if (!PyArg_ParseTuple(args, "OOdOOipdOOnni", &labels, &z, &call.gamma, &alpha, &weight,
                          &policy, &round21, &call.hess_scale, &grad, &hess, &n, &k,
                          &threads))
        return NULL;
    if (check_policy(policy) < 0) return NULL;
    call.k = k;
    call.policy = policy;
    call.round21 = round21;
    if (take_softmax(&arrays, &call, labels, z, alpha, weight, n) < 0) goto fail;
    if (take_outputs(&arrays, grad, hess, n * k, &call.grad, &call.hess, &call.out32) < 0)
        goto fail;
    Py_BEGIN_ALLOW_THREADS
    run_rows(softmax_grad_hess_rows, &call, n, ROW_CHUNK, threads);
    Py_END_ALLOW_THREADS
    release_all(&arrays);
    if (call.out_of_memory) return PyErr_NoMemory();
    Py_RETURN_NONE;
fail:
    release_all(&arrays);
    return NULL;
}

/* Elementwise access to the building blocks, for the tests. */
static PyObject *elementwise(PyObject *args, double (*function)(double)) {
    PyObject *x, *out;
    Arrays arrays = {.used = 0};
    if (!PyArg_ParseTuple(args, "OO", &x, &out)) return NULL;
    const double *in = take(&arrays, x, "x", 0, FLOAT64, ANY_SIZE, NULL);
    if (!in) goto fail;
    Py_ssize_t n = arrays.views[0].len / (Py_ssize_t)sizeof(double);
    double *result = take(&arrays, out, "out", 1, FLOAT64, n, NULL);
    if (!result) goto fail;
    for (Py_ssize_t i = 0; i < n; i++) result[i] = function(in[i]);
    release_all(&arrays);
    Py_RETURN_NONE;
fail:
    release_all(&arrays);
    return NULL;
}

static double exp_neg_or_zero_f(double x) { return exp_neg_or_zero(x); }
static double log1p_unit_f(double x) { return log1p_unit(x); }
static double round_21_bits_f(double x) { return round_21_bits(x); }

static PyObject *py_exp_neg(PyObject *self, PyObject *args) {
    return elementwise(args, exp_neg_or_zero_f);
}

static PyObject *py_log1p_unit(PyObject *self, PyObject *args) {
    return elementwise(args, log1p_unit_f);
}

static PyObject *py_round_21_bits(PyObject *self, PyObject *args) {
    return elementwise(args, round_21_bits_f);
}

static PyMethodDef methods[] = {
    {"binary_loss", py_binary_loss_values, METH_VARARGS,
     "binary_loss(y, z, gamma_pos, gamma_neg, clip, alpha_pos, alpha_neg, weight, out, n, k, "
     "threads): weighted per-element losses into out."},
    {"binary_loss_sum", py_binary_loss_sum, METH_VARARGS,
     "binary_loss_sum(y, z, gamma_pos, gamma_neg, clip, alpha_pos, alpha_neg, weight, n, k, "
     "threads) -> float: their sum."},
    {"binary_grad_hess", py_binary_grad_hess, METH_VARARGS,
     "binary_grad_hess(y, z, gamma_pos, gamma_neg, clip, alpha_pos, alpha_neg, weight, policy, "
     "round21, grad, hess, n, k, threads): weighted gradient and Hessian."},
    {"softmax_loss", py_softmax_loss_values, METH_VARARGS,
     "softmax_loss(labels, z, gamma, alpha, weight, out, n, k, threads): per-row losses."},
    {"softmax_loss_sum", py_softmax_loss_sum, METH_VARARGS,
     "softmax_loss_sum(labels, z, gamma, alpha, weight, n, k, threads) -> float."},
    {"softmax_grad_hess", py_softmax_grad_hess, METH_VARARGS,
     "softmax_grad_hess(labels, z, gamma, alpha, weight, policy, round21, hess_scale, grad, "
     "hess, n, k, threads): gradient and Hessian diagonal."},
    {"exp_neg", py_exp_neg, METH_VARARGS, "exp_neg(x, out): the polynomial exp(-x), 0 beyond 708."},
    {"log1p_unit", py_log1p_unit, METH_VARARGS, "log1p_unit(x, out): the series log1p(x)."},
    {"round_21_bits", py_round_21_bits, METH_VARARGS,
     "round_21_bits(x, out): x rounded to 21 significant bits."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "The focal-loss kernels (C, OpenMP): see _kernels.c and docs/math.md.", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    PyObject *names = PyTuple_New(N_POLICIES);
    if (!names) goto fail;
    for (int i = 0; i < N_POLICIES; i++) {
        PyObject *name = PyUnicode_FromString(POLICY_NAMES[i]);
        if (!name) {
            Py_DECREF(names);
            goto fail;
        }
        PyTuple_SET_ITEM(names, i, name);
    }
    if (PyModule_AddObject(m, "HESSIAN_POLICIES", names) < 0) {
        Py_DECREF(names);
        goto fail;
    }
    if (PyModule_AddObject(m, "HESSIAN_FLOOR", PyFloat_FromDouble(HESSIAN_FLOOR)) < 0) goto fail;
#ifdef _OPENMP
    int openmp = 1;
#else
    int openmp = 0;
#endif
    if (PyModule_AddIntConstant(m, "OPENMP", openmp) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
