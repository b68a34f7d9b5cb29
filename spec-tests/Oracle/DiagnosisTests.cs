using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Oracle.Protocol;
using BackpropSpec.Reference;
using Xunit;
using Xunit.Abstractions;

namespace BackpropSpec.SpecTests.Diagnosing;

/// <summary>
/// The diagnosis names a class by the shape of the error, so real bugs that differ from the class's
/// mutant in detail are still named; an unknown bug still gets its pattern in words; a correct
/// implementation is never diagnosed. The wrong implementations here are <see cref="PlainBackprop"/>,
/// written independently of the mutants, run through the same steps as `check` (<see cref="InProcessCheck"/>).
/// </summary>
public class DiagnosisTests(ITestOutputHelper output)
{
    Diagnosis.Result Diagnosed(IBackprop impl)
    {
        InProcessCheck.Outcome o = InProcessCheck.Run(impl);
        output.WriteLine($"fails \"{o.Property}\" on {o.Original.Name ?? "a random network"}, shrunk to {Trace.Shape(o.Shrunk)}, batch of {o.Shrunk.BatchSize}");
        output.WriteLine($"named: [{string.Join(", ", o.Diagnosis.Classes.Select(Bugs.Name))}]");
        output.WriteLine($"pattern: {o.Diagnosis.Pattern}");
        Assert.NotEqual("", o.Diagnosis.Pattern);
        return o.Diagnosis;
    }

    /// <summary>Its textbook formulas may fail where the textbook cannot represent an answer (range), so those networks are left out.</summary>
    [Fact]
    public void The_independent_implementation_without_switches_is_correct()
    {
        var plain = new PlainBackprop();
        foreach (Network n in Examples.Names.Select(Examples.Load).Concat(Enumerable.Range(0, 150).Select(i => NetworkGen.Sample(11, i, 150))))
            if (!Truth.For(n).OutOfRange) Assert.Null(BackpropSpec.Oracle.Properties.FirstFailure(plain, n));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    public void Transposed_weights_with_another_fill_value_is_still_named(double fill) =>
        Assert.Equal([Bug.TransposedWeights], Diagnosed(new PlainBackprop { TransposedWithFill = fill }).Classes);

    [Fact]
    public void Transposed_weights_that_wrap_around_instead_of_filling_is_still_named() =>
        Assert.Equal([Bug.TransposedWeights], Diagnosed(new PlainBackprop { TransposedWrapping = true }).Classes);

    [Fact]
    public void Softmax_jacobian_twice_with_only_the_jacobians_diagonal_is_still_named()
    {
        var partial = new PlainBackprop
        {
            DiagonalJacobianOnFusedDelta = true,
            Capabilities = new Capabilities([Activation.Identity, Activation.Tanh, Activation.Softmax], [LossKind.SoftmaxCrossEntropy]),
        };
        Assert.Equal([Bug.SoftmaxJacobianTwice], Diagnosed(partial).Classes);
    }

    [Fact]
    public void A_bug_in_the_gradients_and_another_in_the_step_are_both_named()
    {
        var both = new PlainBackprop { TransposedWithFill = 0, StepRule = (w, g, _) => w - g };
        Assert.Equal([Bug.TransposedWeights, Bug.LearningRateIgnored], Diagnosed(both).Classes.Order());
    }

    [Fact]
    public void Updated_weights_in_a_backward_pass_the_gradients_share_is_still_named() =>
        Assert.Equal([Bug.UpdatedWeightsInBackprop], Diagnosed(new PlainBackprop { UpdatesAsItGoes = true }).Classes);

    [Fact]
    public void A_gradient_bug_in_the_report_only_is_named_and_its_right_step_is_said()
    {
        var reportOnly = new PlainBackprop { Reported = (_, g) => -g, StepUsesReported = false };
        Diagnosis.Result d = Diagnosed(reportOnly);
        Assert.Equal([Bug.SignFlip], d.Classes);
        Assert.Contains("the step is right: it follows the exact gradient, not the gradient the implementation reports", d.Pattern);
    }

    [Fact]
    public void A_step_that_climbs_with_a_wrong_gradient_is_named_with_that_gradient_bug()
    {
        var climbs = new PlainBackprop { Reported = (_, g) => 2 * g, StepRule = (w, g, eta) => w + eta * g,
                                         Capabilities = new Capabilities([Activation.Sigmoid, Activation.Tanh], [LossKind.HalfSse, LossKind.HalfMse]) };
        Assert.Equal([Bug.GradientFactorTwo, Bug.StepClimbs], Diagnosed(climbs).Classes.Order());
    }

    [Fact]
    public void An_unknown_bug_gets_no_class_but_its_pattern_in_words()
    {
        var unknown = new PlainBackprop { Reported = (l, g) => l == 0 ? 3 * g : g };
        Diagnosis.Result d = Diagnosed(unknown);
        Assert.Empty(d.Classes);
        Assert.Contains("the gradients of layers[0] are wrong", d.Pattern);
        Assert.Contains("about 3x the exact values", d.Pattern);
        Assert.Contains("every other gradient agrees", d.Pattern);
        Assert.Contains("the step agrees with W - eta*g for the implementation's own gradient g", d.Pattern);
    }

    /// <summary>Saturated (net 77.5): the textbook bound of the tolerance model is undefined (NaN) there,
    /// and such an entry can neither confirm nor contradict a class.</summary>
    [Fact]
    public void A_class_is_still_named_on_a_network_where_the_textbook_bound_is_infinite()
    {
        Network saturated = NetworkJson.Parse("""
            {"format":"backprop-spec/network@1","inputs":1,
             "layers":[{"units":1,"activation":"sigmoid","bias":"none","weights":[[7.296502754183909]]}],
             "loss":"binary-cross-entropy","learningRate":1,"batch":{"inputs":[[10.618794850829719]],"targets":[[0.03945594785273787]]}}
            """);
        Assert.Contains(Truth.For(saturated).Textbook.Gradient, double.IsPositiveInfinity);
        Diagnosis.Result d = Diagnosis.Diagnose(new PlainBackprop { Reported = (_, g) => -g }, Precision.Float64, saturated);
        Assert.Equal([Bug.SignFlip], d.Classes);
    }

    [Fact]
    public void Correct_implementations_in_process_are_never_diagnosed()
    {
        Network[] networks = [.. Examples.Names.Select(Examples.Load), .. Enumerable.Range(0, 60).Select(i => NetworkGen.Sample(12, i, 60))];
        foreach (IBackprop correct in new IBackprop[] { new ReferenceBackprop(), new Mutant(Bug.None), new PlainBackprop() })
        {
            Diagnosis.Result d = Diagnosis.Diagnose(correct, Precision.Float64, networks);
            Assert.True(d.Classes.Count == 0 && d.Pattern.Contains("no answer is wrong"), $"{correct.Name}: [{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
        }
    }

    /// <summary>The textbook program's answers lose digits (accuracy findings) but are never wrong, so
    /// no class explains them, even on networks where its formulas are at their worst.</summary>
    [Fact]
    public void The_textbook_example_is_never_diagnosed()
    {
        using var textbook = new ProcessBackprop(Checking.CheckRun.Python("examples", "textbook", "backprop.py"), 10000);
        textbook.Start();
        Network[] networks = Enumerable.Range(0, 60).Select(i => NetworkGen.Sample(5, i, 60)).Where(n => !Truth.For(n).OutOfRange).ToArray();
        Diagnosis.Result d = Diagnosis.Diagnose(textbook, Precision.Float64, [.. Examples.Names.Select(Examples.Load), .. networks]);
        Assert.Null(textbook.Fault);
        Assert.True(d.Classes.Count == 0 && d.Pattern.Contains("no answer is wrong"), $"[{string.Join(", ", d.Classes.Select(Bugs.Name))}] {d.Pattern}");
    }
}
