using Spectre.Console;

namespace BackpropSpec.Cli;

/// <summary>
/// Progress for long runs: a live status line on stderr when stderr is a terminal (Spectre.Console),
/// and nothing at all when it is not (a file, a pipe, CI, a test's writer), so logs and reports stay
/// byte-identical.
/// </summary>
static class Progress
{
    /// <summary>Runs <paramref name="work"/>; meanwhile, on a terminal, shows <paramref name="status"/>
    /// a few times a second.</summary>
    public static T While<T>(TextWriter stderr, Func<T> work, Func<string> status)
    {
        if (!IsTerminal(stderr)) return work();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Status().Spinner(Spinner.Known.Dots).Start(Markup.Escape(status()), ctx =>
        {
            Task<T> task = Task.Run(work);
            while (!task.Wait(250)) ctx.Status(Markup.Escape(status()));
            result = task.GetAwaiter().GetResult();
        });
        return result;
    }

    /// <summary>True when <paramref name="stderr"/> is this process's stderr and that is a terminal.</summary>
    public static bool IsTerminal(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
}
