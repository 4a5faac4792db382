"""`--plot` pictures: zne extrapolation, sweeps, calibration drift. Checked on matplotlib's own objects
(axes, labels, lines, points), and the files are real images."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

matplotlib = pytest.importorskip("matplotlib", reason="needs the plot extra: pip install 'qirrt[plot]'")

from qirrt.cli import plots  # noqa: E402
from qirrt.cli.app import main  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
PNG = b"\x89PNG\r\n\x1a\n"


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _errorbar_containers(axes):
    from matplotlib.container import ErrorbarContainer

    return [c for c in axes.containers if isinstance(c, ErrorbarContainer)]


def test_zne_figure_draws_points_with_errors_the_fit_the_estimate_and_the_raw_value(tmp_path):
    details = {"scale_factors": [1.0, 3.0, 5.0], "values": [0.92, 0.82, 0.72], "errors": [0.01, 0.02, 0.03],
               "extrapolation": "richardson"}
    figure = plots.zne_figure(details, mitigated=0.97, unmitigated=0.92, mitigated_error=0.03, observable="ZZ")
    (axes,) = figure.axes
    assert axes.get_xlabel() == "noise scale factor" and axes.get_ylabel() == "<ZZ>"
    measured, estimate = _errorbar_containers(axes)
    assert list(measured.lines[0].get_xdata()) == [1.0, 3.0, 5.0]
    assert measured.has_yerr and estimate.has_yerr
    assert list(estimate.lines[0].get_xdata()) == [0.0] and list(estimate.lines[0].get_ydata()) == [0.97]
    fit = [line for line in axes.get_lines() if line.get_label() == "richardson fit"]
    assert len(fit) == 1
    x, y = fit[0].get_xdata(), fit[0].get_ydata()
    assert x[0] == 0.0 and y[0] == pytest.approx(0.97, abs=1e-9)  # the fit passes through the estimate
    raw = [line for line in axes.get_lines() if line.get_label().startswith("unmitigated")]
    assert len(raw) == 1 and set(raw[0].get_ydata()) == {0.92}
    path = tmp_path / "zne.png"
    plots.save(figure, path)
    assert path.read_bytes()[:8] == PNG


def test_sweep_figure_uses_the_varying_parameter_as_x_axis():
    points = [{"theta": t, "phi": 0.5} for t in (0.0, 1.0, 2.0)]
    figure = plots.sweep_figure(points, {"<IZ>": [1.0, 0.54, -0.42]}, ylabel="<IZ>")
    (axes,) = figure.axes
    assert axes.get_xlabel() == "theta" and axes.get_ylabel() == "<IZ>"
    (line,) = axes.get_lines()
    assert list(line.get_xdata()) == [0.0, 1.0, 2.0]
    two = plots.sweep_figure([{"a": 1, "b": 2}, {"a": 2, "b": 1}], {"00": [0.5, 0.4], "11": [0.5, 0.6]},
                             ylabel="probability")
    assert two.axes[0].get_xlabel() == "parameter point" and len(two.axes[0].get_lines()) == 2


def test_drift_figure_has_three_panels_and_marks_each_drift_event(kolkata):
    first = kolkata.calibration
    later = [first.scaled(readout_error=f, gate_error=f, timestamp=first.timestamp.timestamp() + 86400 * i)
             for i, f in ((1, 1.0), (2, 2.0))]
    history = [first, *later]
    figure = plots.drift_figure(history, [later[1].timestamp], title="kolkata")
    coherence, gates, readout = figure.axes
    assert coherence.get_ylabel() == "mean T1, T2 (µs)" and gates.get_ylabel() == "mean gate error"
    assert readout.get_ylabel() == "mean readout error" and readout.get_xlabel() == "calibration time (UTC)"
    for axes, series in ((coherence, 2), (gates, 2), (readout, 1)):
        data = [line for line in axes.get_lines() if len(line.get_xdata()) == 3]
        marks = [line for line in axes.get_lines() if len(line.get_xdata()) == 2 and line.get_linestyle() == "--"]
        assert len(data) == series and len(marks) == 1
    readout_means = readout.get_lines()[0].get_ydata()
    assert readout_means[2] == pytest.approx(2 * readout_means[0])


def test_cli_calibration_history_lists_marks_drift_and_plots(tmp_path):
    pytest.importorskip("qiskit_ibm_runtime", reason="needs the fake-backends extra")
    store = tmp_path / "cal.db"
    assert _cli("calibration", "record", "FakeKolkata", "--store", store).exit_code == 0
    assert _cli("calibration", "record", "FakeKolkata", "--store", store, "--at", "2030-01-01T00:00:00Z",
                "--scale-errors", "2").exit_code == 0
    picture = tmp_path / "drift.png"
    result = _cli("calibration", "history", "FakeKolkata", "--store", store, "--plot", picture)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and "drift" not in lines[0] and "drift:" in lines[1]
    assert picture.read_bytes()[:8] == PNG
    missing = _cli("calibration", "history", "FakeNowhere", "--store", store)
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1 and "calibration record" in missing.stderr


def test_cli_mitigated_plot_and_noiseless_warning(tmp_path):
    picture = tmp_path / "zne.png"
    result = _cli("run", EXAMPLES / "bell.qasm", "--mitigate", "zne{scale-factors=1,3}", "--observable", "ZZ",
                  "--seed", 1, "--quiet", "--plot", picture)
    assert result.exit_code == 0, result.output
    assert "no noise to mitigate" in result.stderr
    assert picture.read_bytes()[:8] == PNG
    no_zne = _cli("run", EXAMPLES / "bell.qasm", "--mitigate", "ddd", "--observable", "ZZ", "--quiet", "--plot",
                  tmp_path / "x.png")
    assert no_zne.exit_code == 2 and "zne" in no_zne.stderr and no_zne.stderr.count("\n") == 1


def test_cli_sweep_prints_and_plots_the_expectation_per_point(tmp_path):
    picture = tmp_path / "sweep.png"
    thetas = [0.0, 1.0, 2.0, 3.0]
    shots = 4000
    result = _cli("run", EXAMPLES / "rotation.qasm", "--params", str([[t] for t in thetas]), "--observable", "IZ",
                  "--shots", shots, "--seed", 5, "--quiet", "--plot", picture)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(thetas)
    for theta, line in zip(thetas, lines):
        value = float(line.rsplit(" ", 1)[1])
        # <IZ> = cos(theta); a mean of ±1 outcomes has sd ≤ 1/sqrt(shots): 5 sd is p < 1e-6
        assert abs(value - math.cos(theta)) < 5 / math.sqrt(shots)
    assert picture.read_bytes()[:8] == PNG
