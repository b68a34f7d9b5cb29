using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks -- --filter '*'     (add --job short for a quick run)
BenchmarkSwitcher.FromAssembly(typeof(BackpropSpec.Benchmarks.ForwardBenchmarks).Assembly).Run(args);
