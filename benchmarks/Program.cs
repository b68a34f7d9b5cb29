using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks -- --filter '*'     (add --job short for a quick run)
// dotnet run -c Release --project benchmarks -- compare-torch [seconds]   (torch's gradcheck beside the oracle, ratios)
if (args.Length > 0 && args[0] == "compare-torch") return BackpropSpec.Benchmarks.CompareTorch.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(BackpropSpec.Benchmarks.ForwardBenchmarks).Assembly).Run(args);
return 0;
