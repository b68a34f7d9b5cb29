using System.Runtime.CompilerServices;
using BackpropSpec.Conformance;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;
using FsCheck;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Properties;

/// <summary>The reference against every property, on random networks, strictly: every answer must
/// agree with the exact value within careful double arithmetic (no accuracy or range finding). One
/// test per property, named as the conformance kit names it.</summary>
public class ReferenceProperties(ITestOutputHelper output) : PropertyTests(output)
{
    static readonly IBackprop Reference = new ReferenceBackprop();

    [NetworkProperty]
    public Property Gradients_agree_with_the_exact_derivatives(Network n) => Agrees(n);

    [NetworkProperty]
    public Property Forward_outputs_and_loss_agree_with_the_exact_values(Network n) => Agrees(n);

    [NetworkProperty]
    public Property A_step_is_W_minus_eta_dE_dW_from_the_original_weights(Network n) => Agrees(n);

    [NetworkProperty]
    public Property The_batch_gradient_is_the_sum_or_mean_of_per_example_gradients(Network n) => Agrees(n);

    [NetworkProperty]
    public Property Half_mse_gradients_are_half_sse_gradients_over_m(Network n) => Agrees(n);

    [NetworkProperty]
    public Property Duplicating_the_batch_of_a_summed_loss_doubles_every_gradient(Network n) => Agrees(n);

    [NetworkProperty]
    public Property Permuting_hidden_units_permutes_the_gradients(Network n) => Agrees(n);

    [NetworkProperty]
    public Property Zero_error_gives_zero_gradient(Network n) => Agrees(n);

    [NetworkProperty]
    public Property A_small_enough_step_does_not_increase_the_loss(Network n) => Agrees(n);

    /// <summary>The reference's verdict on the property of <paramref name="test"/> (the kit's name for it) is <em>agrees</em>.</summary>
    Property Agrees(Network n, [CallerMemberName] string test = "")
    {
        string property = ConformanceTests<ReferenceBackprop>.PropertyOfTest[test];
        PropertyVerdict v = Oracle.Properties.Judge(Oracle.Properties.Named(property), Reference, n, Precision.Float64);
        return Holds(n, v.Zone == Zone.Agrees ? null : $"[{Zones.Name(v.Zone)}] {v.Message}\n{v.Table?.Table()}", test);
    }
}
