using System.CommandLine;
using SharpVirt.Cli;
using SharpVirt.Cli.Manager;

// Run as sharpvirtd (a link to this binary), it is the daemon.
if (Path.GetFileName(Environment.GetCommandLineArgs()[0]) == "sharpvirtd")
{
    args = ["daemon", .. args];
}

var root = new RootCommand("SharpVirt: a KVM virtual machine monitor and manager.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(VmmCommand.Create());
root.Subcommands.Add(VmClientCommand.Create());
root.Subcommands.Add(CpuTemplatesCommand.Create());
root.Subcommands.Add(DaemonCommand.Create());
foreach (var verb in ManagerVerbs.All())
{
    root.Subcommands.Add(verb);
}

return root.Parse(args).Invoke();
