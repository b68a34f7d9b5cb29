return BackpropSpec.Cli.Commands.Run(args, Console.Out, Console.Error);
