"""Gallery figures of linear regions (issues 4 and 7): a deep net on two moons through training and
pruning."""

from __future__ import annotations

from pathlib import Path

from lottery.criteria import prune
from lottery.gallery import held_out_accuracy, moons_net, save
from lottery.models import mlp
from lottery.reinitialisation import reinit
from lottery.training import train

__all__ = ["FIGURES"]

BOUNDS = (-2.6, 2.6, -2.6, 2.6)


def training(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Linear regions and exact boundary of a 2-16-16-2 moons net at initialisation and after training."""
    from tropical.plot import regions_comparison

    at_init, trained, data = moons_net([2, 16, 16, 2], epochs=15 if quick else 60)
    drawn = regions_comparison(
        at_init, trained, bounds=BOUNDS, data=data.x_test.numpy(), labels=data.y_test.numpy(),
        titles=(f"at initialisation ({100 * held_out_accuracy(at_init, data):.0f}% test acc.)",
                f"after training ({100 * held_out_accuracy(trained, data):.0f}% test acc.)"),
    )  # fmt: skip
    figure = drawn["figure"]
    for ax in drawn["axes"]:
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    figure.suptitle(f"A 2-16-16-2 ReLU net on two moons: exact linear regions (colour = activation pattern) "
                    f"and decision boundary (black); classes agree on {100 * drawn['agreement']:.1f}% of the "
                    "box (hatched: disagreement)", fontsize="medium")  # fmt: skip
    return save(figure, out_dir, "moons_regions_training")


def pruning(out_dir: Path, *, quick: bool = False) -> list[Path]:
    """Figure 5: linear regions of a 2-32-32-2 net, dense, pruned 90 % in place, and the retrained ticket."""
    import matplotlib.pyplot as plt

    import tropical as tr
    from tropical.plot import regions as plot_regions

    widths = [2, 32, 32, 2]
    epochs = 15 if quick else 60
    at_init, dense, data = moons_net(widths, epochs=epochs)
    mask = prune(dense, sparsity={"0.weight": 0.9, "2.weight": 0.9, "4.weight": 0.0}, seed=0)
    in_place = mlp(widths)
    in_place.load_state_dict(dense.state_dict())
    mask.apply(in_place)
    ticket = mlp(widths)
    ticket.load_state_dict(reinit("rewind", mask, at_init.state_dict()))
    train(
        ticket,
        data,
        mask=mask,
        optimizer="adam",
        lr=0.01,
        epochs=epochs,
        batch_size=64,
        seed=0,
        progress=None,
    )
    models = [("dense, trained", dense), ("90% of hidden weights pruned in place", in_place.eval()),
              ("lottery ticket (θ0, retrained)", ticket.eval())]  # fmt: skip
    dense_regions = tr.linear_regions(dense, bounds=BOUNDS)
    figure, axes = plt.subplots(1, 3, figsize=(16, 5.6), constrained_layout=True)
    for ax, (name, model) in zip(axes, models, strict=True):
        result = tr.linear_regions(model, bounds=BOUNDS)
        agreement = tr.metrics.region_agreement(result, dense_regions)
        accuracy = held_out_accuracy(model, data)
        plot_regions(result, ax, data=data.x_test.numpy(), labels=data.y_test.numpy(),
                     title=f"{name}\n{100 * accuracy:.0f}% test acc., agrees with dense on "
                     f"{100 * agreement:.1f}%")  # fmt: skip
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    figure.suptitle("Exact linear regions of a 2-32-32-2 net on two moons before and after magnitude pruning "
                    "(colour = activation pattern, black = exact decision boundary)", y=1.04)  # fmt: skip
    return save(figure, out_dir, "deep_regions_pruning")


FIGURES = {"moons_regions_training": training, "deep_regions_pruning": pruning}
