using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BackpropSpec.Oracle;
using BackpropSpec.Oracle.Judging;
using BackpropSpec.Reference;

namespace BackpropSpec.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project benchmarks -- compare-torch`: both sides in one run. torch's
/// gradcheck and fast_mode (benchmarks/torch/gradcheck_bench.py, Debian's python3-torch, one
/// thread) and BackpropSpec's full verification (one thread) on the same shapes, and the ratios.
/// Each rate is the number of verifications that fit in --seconds (at least one), after a warm-up.
/// Then the largest network's peak managed heap during one verification, against its own arrays.
/// </summary>
public static class CompareTorch
{
    static readonly (string Shape, int Batch)[] Shapes = [("2-2-2", 4), ("10-32-32-10", 4), ("784-128-10", 32)];
    const string Large = "1000-1000-10/4";

    public static int Run(string[] args)
    {
        double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        string root = RepositoryRoot.Find(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run inside the repository");
        string script = Path.Combine(root, "benchmarks", "torch", "gradcheck_bench.py");
        var torch = new Dictionary<string, (double full, double fast)>();
        if (File.Exists("/usr/bin/python3"))
        {
            var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { script, "--shapes", string.Join(",", Shapes.Select(s => s.Shape)), "--batch", string.Join(",", Shapes.Select(s => s.Batch)), "--seconds", seconds.ToString(CultureInfo.InvariantCulture) })
                info.ArgumentList.Add(a);
            using Process p = Process.Start(info)!;
            string output = p.StandardOutput.ReadToEnd();
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) Console.Error.WriteLine($"torch's side did not run (exit {p.ExitCode}); install it with: apt-get update && apt-get install -y python3-torch\n{error}");
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using JsonDocument d = JsonDocument.Parse(line);
                JsonElement full = d.RootElement.GetProperty("gradcheck_per_s");
                torch[d.RootElement.GetProperty("shape").GetString()!] =
                    (full.ValueKind == JsonValueKind.Number ? full.GetDouble() : double.NaN, d.RootElement.GetProperty("fast_mode_per_s").GetDouble());
            }
        }
        else Console.Error.WriteLine("no /usr/bin/python3: torch's side skipped (apt-get update && apt-get install -y python3-torch)");

        Console.WriteLine($"{"network",-14}{"parameters",12}{"torch gradcheck /s",20}{"torch fast_mode /s",20}{"BackpropSpec /s",18}{"vs gradcheck",14}{"vs fast_mode",14}");
        foreach (var (shape, batch) in Shapes)
        {
            Network n = TorchNetworks.Build($"{shape}/{batch}");
            double[] g = new ReferenceBackprop().Gradients(n).Flatten();
            double ours = Rate(() => TorchNetworks.Verify(n, g), seconds);
            var (full, fast) = torch.TryGetValue(shape, out var t) ? t : (double.NaN, double.NaN);
            // torch's side is NaN where it was not run (gradcheck above --full-up-to, or torch missing): "not run", not "NaNx"
            static string Rate1(double r) => double.IsNaN(r) ? "not run" : r.ToString("F1", CultureInfo.InvariantCulture);
            static string Ratio(double r, string format) => double.IsNaN(r) ? "-" : r.ToString(format, CultureInfo.InvariantCulture) + "x";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{shape,-14}{n.ParameterCount,12:N0}{Rate1(full),20}{Rate1(fast),20}{ours,18:F1}{Ratio(ours / full, "F0"),14}{Ratio(ours / fast, "F1"),14}"));
        }

        Network large = TorchNetworks.Build(Large);
        double[] gl = new ReferenceBackprop().Gradients(large).Flatten();
        double reference = 1 / Rate(() => Backward.Run(large, Forward.Run(large)), seconds);
        double verify = 1 / Rate(() => TorchNetworks.Verify(large, gl), seconds);
        long arrays = 8L * large.ParameterCount;
        long peak = PeakHeap(() => TorchNetworks.Verify(large, gl));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Large}: {large.ParameterCount:N0} parameters; one reference forward + backward {reference * 1000:F0} ms, a full verification {verify * 1000:F0} ms ({verify / reference:F1}x); peak heap during it {peak / 1e6:F0} MB = {(double)peak / arrays:F1}x the weights' {arrays / 1e6:F0} MB"));
        return 0;
    }

    static double Rate(Action verify, double seconds)
    {
        verify();                                            // warm up: JIT, tables
        int n = 0;
        var clock = Stopwatch.StartNew();
        do { verify(); n++; } while (clock.Elapsed.TotalSeconds < seconds);
        return n / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The largest managed heap, over what it held before, while <paramref name="run"/>
    /// runs: sampled every 0.2 ms, garbage not yet collected included (an upper bound).</summary>
    static long PeakHeap(Action run)
    {
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        long before = GC.GetTotalMemory(true), peak = before;
        bool done = false;
        var sampler = new Thread(() =>
        {
            while (!Volatile.Read(ref done)) { peak = Math.Max(peak, GC.GetTotalMemory(false)); Thread.Sleep(TimeSpan.FromTicks(2000)); }
        });
        sampler.Start();
        run();
        Volatile.Write(ref done, true);
        sampler.Join();
        return peak - before;
    }
}
