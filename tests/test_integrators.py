"""Orders of convergence of the integrators: DOP853 is order 8, the method of steps order 4.

The order p shows as the slope of log(error) against log(step) over a range of fixed steps
(global error ~ C h^p). Slopes are fitted by least squares over a 4x (DOP853) or 8x (RK4)
range of steps, chosen above roundoff and inside the asymptotic range; tolerances of +-0.5 on
the slope tell the claimed order from its neighbours (p - 1, p + 1).
"""

from __future__ import annotations

import numpy as np

import chaosbench
from chaosbench import integrate
from chaosbench.compile import compile_program
from chaosbench.equations import parse_equations


def test_dop853_is_eighth_order_on_a_smooth_field():
    """x' = cos(t) x, y' = -y^2 from (1, 1): exactly x = exp(sin t), y = 1 / (1 + t); nonlinear
    and nonautonomous, so every order condition is exercised. The adaptive integrator becomes a
    fixed-step one when each call covers one step: with rtol = atol = 1 its first step is the
    whole interval (checked: one step per call) and the dense output at the interval's end is
    the step's result. Over t in [0, 4] with 8 to 32 steps the error falls from 3e-9 to 7e-14,
    above roundoff (1e-15); local slopes are 7.3 to 8.2 (pre-asymptotic terms), the fit 7.7."""
    eq = parse_equations({"name": "Smooth", "variables": ["x", "y"], "parameters": {},
                          "equations": {"x": "cos(t) * x", "y": "-y ** 2"}})
    program = compile_program(eq.rhs, eq.inputs)
    T = 4.0
    exact = np.array([np.exp(np.sin(T)), 1.0 / (1.0 + T)])
    steps_h, errors = [], []
    for n in (8, 12, 16, 24, 32):
        h = T / n
        y = np.array([[1.0], [1.0]])
        for k in range(n):
            Y, status, _, steps = integrate.solve_ode(
                program.code, program.registers(1), program.outputs, y, k * h,
                np.array([(k + 1) * h]), 1.0, 1.0, 1e10, 10, *integrate.ode_tableau())
            assert status == integrate.OK and steps == 1
            y = np.ascontiguousarray(Y[-1])
        steps_h.append(h)
        errors.append(np.abs(y[:, 0] - exact).max())
    slope = np.polyfit(np.log(steps_h), np.log(errors), 1)[0]
    assert abs(slope - 8.0) <= 0.5, (slope, errors)


def test_method_of_steps_is_fourth_order():
    """IkedaDelay (x' = -x + mu sin(x(t - tau))) over three delays from its default initial
    history, at delay steps tau / (9 m), m = 8 .. 64, against m = 512 (whose own error is
    8^-4 of the finest one's). The trajectory is sampled through the cubic Hermite interpolant,
    also fourth order. Measured local slopes 4.02, 4.00, 4.01. (MackeyGlass's x^10 term needs
    finer steps to reach the asymptotic range: 3.3 to 4.9 over the same steps.)"""
    system = chaosbench.system("IkedaDelay")
    tau = system.tau
    ppp = 50 * system.period / (3 * tau)  # 50 samples over three delays

    def run(m: int) -> np.ndarray:
        return system.trajectory(50, pts_per_period=ppp, delay_step=tau / (9 * m))

    reference = run(512)
    ms = np.array([8, 16, 32, 64])
    errors = [np.abs(run(m) - reference).max() for m in ms]
    slope = np.polyfit(np.log(tau / (9 * ms)), np.log(errors), 1)[0]
    assert abs(slope - 4.0) <= 0.5, (slope, errors)
