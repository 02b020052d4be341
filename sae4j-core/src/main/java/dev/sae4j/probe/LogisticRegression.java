package dev.sae4j.probe;

import java.util.Arrays;

/**
 * Binary L2-regularised logistic regression in plain double Java, solved deterministically by
 * L-BFGS (memory 10, backtracking Armijo line search). The objective is scikit-learn's {@code
 * LogisticRegression(penalty="l2", C)} with sample weights:
 *
 * <pre>
 *   J(w, b) = ½ ||w||² + C Σ_i s_i log(1 + exp(-y_i (w·x_i + b))),   y_i ∈ {-1, +1}
 *   ∂J/∂w = w - C Σ_i s_i y_i σ(-y_i z_i) x_i,   ∂J/∂b = -C Σ_i s_i y_i σ(-y_i z_i)
 * </pre>
 *
 * <p>The intercept is not penalised. J is strongly convex in w, so the minimiser is unique and
 * L-BFGS from zero reaches it regardless of row order.
 */
public final class LogisticRegression {
  /**
   * Solver settings.
   *
   * @param c inverse regularisation strength (scikit-learn's C; 1.0 as in SAEBench)
   * @param maxIterations L-BFGS iterations at most
   * @param tolerance stop when the largest gradient component is below this (relative to {@code
   *     max(1, |J|)})
   */
  public record Settings(double c, int maxIterations, double tolerance) {
    /** Validates ranges. */
    public Settings {
      if (!(c > 0) || maxIterations < 1 || !(tolerance > 0)) {
        throw new IllegalArgumentException(
            "need C > 0, iterations >= 1, tolerance > 0; got "
                + c
                + ", "
                + maxIterations
                + ", "
                + tolerance);
      }
    }

    /** C = 1, 1000 iterations, tolerance 1e-8. */
    public static Settings defaults() {
      return new Settings(1.0, 1000, 1e-8);
    }
  }

  /**
   * A fitted binary model.
   *
   * @param weights one weight per feature
   * @param bias intercept
   * @param iterations L-BFGS iterations used
   * @param converged whether the gradient tolerance was reached
   */
  public record Model(double[] weights, double bias, int iterations, boolean converged) {
    /** Decision value {@code w·x + b} (positive = class +1). */
    public double decision(double[] x) {
      double z = bias;
      for (int j = 0; j < weights.length; j++) {
        z += weights[j] * x[j];
      }
      return z;
    }
  }

  private LogisticRegression() {}

  /** {@code log(1 + exp(t))} without overflow. */
  static double softplus(double t) {
    return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
  }

  /** {@code 1 / (1 + exp(-t))} without overflow. */
  static double sigmoid(double t) {
    if (t >= 0) {
      return 1 / (1 + Math.exp(-t));
    }
    double e = Math.exp(t);
    return e / (1 + e);
  }

  /**
   * The objective J and its gradient at {@code theta = [w..., b]}.
   *
   * @param x rows
   * @param y labels in {-1, +1}
   * @param s sample weights
   * @param c inverse regularisation strength
   * @param theta weights followed by the bias
   * @param grad receives the gradient (same length as theta)
   * @return J(theta)
   */
  public static double objective(
      double[][] x, int[] y, double[] s, double c, double[] theta, double[] grad) {
    int d = theta.length - 1;
    double loss = 0;
    Arrays.fill(grad, 0);
    for (int i = 0; i < x.length; i++) {
      double z = theta[d];
      double[] row = x[i];
      for (int j = 0; j < d; j++) {
        z += theta[j] * row[j];
      }
      double margin = y[i] * z;
      loss += s[i] * softplus(-margin);
      double g = -c * s[i] * y[i] * sigmoid(-margin); // dJ/dz_i
      for (int j = 0; j < d; j++) {
        grad[j] += g * row[j];
      }
      grad[d] += g;
    }
    double reg = 0;
    for (int j = 0; j < d; j++) {
      reg += theta[j] * theta[j];
      grad[j] += theta[j];
    }
    return 0.5 * reg + c * loss;
  }

  /**
   * Fits the model.
   *
   * @param x rows {@code [n][d]}
   * @param y labels in {-1, +1}
   * @param s sample weights (all 1 for unweighted)
   * @param settings solver settings
   * @return the fitted model
   */
  public static Model fit(double[][] x, int[] y, double[] s, Settings settings) {
    if (x.length == 0 || x.length != y.length || y.length != s.length) {
      throw new IllegalArgumentException(
          "need matching non-empty x, y and weights; got "
              + x.length
              + ", "
              + y.length
              + ", "
              + s.length);
    }
    int d = x[0].length;
    int n = d + 1;
    int memory = 10;
    double[][] sHist = new double[memory][];
    double[][] yHist = new double[memory][];
    double[] rho = new double[memory];
    int stored = 0;
    int head = 0;
    double[] theta = new double[n];
    double[] grad = new double[n];
    double f = objective(x, y, s, settings.c(), theta, grad);
    double[] newTheta = new double[n];
    double[] newGrad = new double[n];
    double[] alpha = new double[memory];
    int iter = 0;
    boolean converged = false;
    for (; iter < settings.maxIterations(); iter++) {
      if (maxAbs(grad) <= settings.tolerance() * Math.max(1, Math.abs(f))) {
        converged = true;
        break;
      }
      // Two-loop recursion: direction = -H grad.
      double[] q = grad.clone();
      for (int k = 0; k < stored; k++) {
        int idx = Math.floorMod(head - 1 - k, memory);
        alpha[idx] = rho[idx] * dot(sHist[idx], q);
        axpy(-alpha[idx], yHist[idx], q);
      }
      double gamma = 1;
      if (stored > 0) {
        int last = Math.floorMod(head - 1, memory);
        gamma = dot(sHist[last], yHist[last]) / dot(yHist[last], yHist[last]);
      } else {
        gamma = 1 / Math.max(1, maxAbs(grad)); // a cautious first step
      }
      for (int j = 0; j < n; j++) {
        q[j] *= gamma;
      }
      for (int k = stored - 1; k >= 0; k--) {
        int idx = Math.floorMod(head - 1 - k, memory);
        double beta = rho[idx] * dot(yHist[idx], q);
        axpy(alpha[idx] - beta, sHist[idx], q);
      }
      double[] dir = q;
      for (int j = 0; j < n; j++) {
        dir[j] = -dir[j];
      }
      double slope = dot(grad, dir);
      if (slope >= 0) { // not a descent direction: restart from steepest descent
        stored = 0;
        for (int j = 0; j < n; j++) {
          dir[j] = -grad[j];
        }
        slope = dot(grad, dir);
      }
      double step = 1;
      double newF;
      int halvings = 0;
      while (true) {
        for (int j = 0; j < n; j++) {
          newTheta[j] = theta[j] + step * dir[j];
        }
        newF = objective(x, y, s, settings.c(), newTheta, newGrad);
        if (newF <= f + 1e-4 * step * slope || halvings > 60) {
          break;
        }
        step *= 0.5;
        halvings++;
      }
      double[] sk = new double[n];
      double[] yk = new double[n];
      for (int j = 0; j < n; j++) {
        sk[j] = newTheta[j] - theta[j];
        yk[j] = newGrad[j] - grad[j];
      }
      double sy = dot(sk, yk);
      if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
        sHist[head] = sk;
        yHist[head] = yk;
        rho[head] = 1 / sy;
        head = (head + 1) % memory;
        stored = Math.min(stored + 1, memory);
      }
      System.arraycopy(newTheta, 0, theta, 0, n);
      System.arraycopy(newGrad, 0, grad, 0, n);
      boolean stalled = Math.abs(f - newF) <= 1e-15 * Math.max(1, Math.abs(f));
      f = newF;
      if (stalled) {
        converged = maxAbs(grad) <= 1e-5 * Math.max(1, Math.abs(f));
        iter++;
        break;
      }
    }
    return new Model(Arrays.copyOf(theta, d), theta[d], iter, converged);
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static void axpy(double a, double[] x, double[] y) {
    for (int i = 0; i < x.length; i++) {
      y[i] += a * x[i];
    }
  }

  private static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
