using System.CommandLine;
using SharpVirt.Cli;

var root = new RootCommand("SharpVirt: a KVM virtual machine monitor and manager.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(VmmCommand.Create());
root.Subcommands.Add(VmClientCommand.Create());
root.Subcommands.Add(CpuTemplatesCommand.Create());
return root.Parse(args).Invoke();
