"""The financing mix as a figure: the stacked mix beside the cost per channel and the WACC."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ._format import amt, pct, wrap
from .result import MixResult

__all__ = ["plot_financing_mix"]

_KIND_COLOURS = {"senior_debt": ("tab:blue", "tab:cyan", "steelblue", "lightblue"),
                 "mezzanine": ("tab:orange", "gold"), "equity": ("tab:green", "yellowgreen")}


def plot_financing_mix(result: MixResult) -> Figure:
    """Stacked bar of the mix (amount, share and cost of each channel) next to the cost per channel
    with the blended cost (WACC) as a line. An infeasible result gives a figure stating the reason.

    Returns a closed matplotlib ``Figure`` (for display or logging by the caller).
    """
    fig, (ax_mix, ax_cost) = plt.subplots(1, 2, figsize=(10, 4.8), gridspec_kw={"width_ratios": [1, 1.6]})
    t = result.channels
    if not result.feasible or t.empty:
        for ax in (ax_mix, ax_cost):
            ax.set_axis_off()
        fig.suptitle(f"No feasible mix (need {amt(result.need)}, grade {result.grade})")
        fig.text(0.5, 0.5, wrap(result.reason or "no result", 90), ha="center", va="center", fontsize=10)
        plt.close(fig)
        return fig

    used = t[t["amount"] > 0]
    counters: dict[str, int] = {}
    colours = {}
    for _, r in t.iterrows():
        palette = _KIND_COLOURS[r["kind"]]
        colours[r["channel"]] = palette[counters.get(r["kind"], 0) % len(palette)]
        counters[r["kind"]] = counters.get(r["kind"], 0) + 1

    bottom = 0.0
    for _, r in used.iterrows():
        label = f"{r['channel']}: {amt(r['amount'])} ({pct(r['share'], 0)}) @ {pct(r['cost'], 2)}"
        ax_mix.bar(0, r["amount"], bottom=bottom, color=colours[r["channel"]], edgecolor="white", width=0.6,
                   label=label)
        # Labels inside the segment only where they fit; the legend names every segment anyway.
        if r["share"] >= 0.08:
            ax_mix.text(0, bottom + r["amount"] / 2, label.replace(": ", "\n"), ha="center", va="center", fontsize=8)
        bottom += r["amount"]
    handles, labels = ax_mix.get_legend_handles_labels()
    ax_mix.legend(handles[::-1], labels[::-1], loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize=7,
                  frameon=False)
    ax_mix.set_xlim(-0.6, 0.6)
    ax_mix.set_xticks([0], [f"grade {result.grade}"])
    ax_mix.set_ylabel("EUR m")
    ax_mix.set_title(f"Mix of the need {amt(result.need)}")

    elig = t[t["eligible"]]
    for _, r in elig.iterrows():
        ax_cost.bar(r["channel"], 100 * r["cost"], color=colours[r["channel"]], alpha=1.0 if r["amount"] > 0 else 0.35)
    ax_cost.axhline(100 * result.wacc, color="black", ls="--", lw=1, label=f"WACC {pct(result.wacc, 2)}")
    ax_cost.set_ylabel("annual cost, %")
    ax_cost.set_title("Cost by channel (faded: eligible, not used)")
    ax_cost.legend(loc="upper left", fontsize=8)
    ax_cost.tick_params(axis="x", labelrotation=20)
    note = "binding: " + (", ".join(result.binding) if result.binding else "none")
    if result.excluded:
        note += "; excluded: " + "; ".join(f"{k} ({v})" for k, v in result.excluded.items())
    note = wrap(note, 150)
    fig.text(0.01, 0.01, note, fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.03 * (note.count("\n") + 1), 1, 1))
    plt.close(fig)
    return fig
