using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SharpVirt.Contracts.Manager;

namespace SharpVirt.Manager.Store;

/// <summary>
/// The manager's state in one SQLite file (WAL journal, so readers never wait for the writer). The schema is created
/// and migrated on open by <see cref="SqliteSchema"/>; definitions are stored as the API's JSON, so what was defined is
/// what is read back.
/// </summary>
public sealed class SqliteManagerStore : IManagerStore
{
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    private SqliteManagerStore(SqliteConnection db) => _db = db;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and brings its schema up to date.</summary>
    /// <exception cref="ManagerException">The file cannot be opened, or was written by a newer SharpVirt.</exception>
    public static SqliteManagerStore Open(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            db.Open();
            Execute(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
            SqliteSchema.Migrate(db, path);
            return new SqliteManagerStore(db);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new ManagerException(ManagerErrorKind.Host, "database", $"{path}: {e.Message}");
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredVm> LoadVms()
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText = """
                SELECT v.definition, r.state, r.pid, r.pid_start, r.reason, r.since, r.restarts
                FROM vms v JOIN vm_runtime r ON r.name = v.name ORDER BY v.name
                """;
            using var reader = command.ExecuteReader();
            var vms = new List<StoredVm>();
            while (reader.Read())
            {
                var definition = JsonSerializer.Deserialize(reader.GetString(0), ManagerJsonContext.Default.VmDefinition)
                    ?? throw new ManagerException(ManagerErrorKind.Host, "database", "a stored definition is null");
                var runtime = new VmRuntime
                {
                    State = ManagerNames.ParseState(reader.GetString(1)),
                    Pid = reader.IsDBNull(2) ? null : reader.GetInt32(2),
                    PidStartTicks = reader.IsDBNull(3) ? null : (ulong)reader.GetInt64(3),
                    Reason = reader.IsDBNull(4) ? null : reader.GetString(4),
                    Since = DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
                    Restarts = reader.GetInt32(6),
                };
                vms.Add(new StoredVm(definition, runtime));
            }

            return vms;
        }
    }

    /// <inheritdoc />
    public void InsertVm(VmDefinition definition, VmRuntime runtime)
    {
        lock (_lock)
        {
            using var transaction = _db.BeginTransaction();
            try
            {
                Run(transaction, "INSERT INTO vms (name, definition, created) VALUES ($name, $definition, $created)",
                    ("$name", definition.Name), ("$definition", Serialize(definition)),
                    ("$created", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
                WriteRuntime(transaction, definition.Name, runtime);
                transaction.Commit();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the primary key
            {
                throw new ManagerException(ManagerErrorKind.Conflict, "name", $"a VM named '{definition.Name}' is already defined");
            }
        }
    }

    /// <inheritdoc />
    public void UpdateDefinition(VmDefinition definition)
    {
        lock (_lock)
        {
            using var transaction = _db.BeginTransaction();
            Run(transaction, "UPDATE vms SET definition = $definition WHERE name = $name",
                ("$name", definition.Name), ("$definition", Serialize(definition)));
            transaction.Commit();
        }
    }

    /// <inheritdoc />
    public void UpdateRuntime(string name, VmRuntime runtime)
    {
        lock (_lock)
        {
            using var transaction = _db.BeginTransaction();
            WriteRuntime(transaction, name, runtime);
            transaction.Commit();
        }
    }

    /// <inheritdoc />
    public void DeleteVm(string name)
    {
        lock (_lock)
        {
            using var transaction = _db.BeginTransaction();
            Run(transaction, "DELETE FROM vm_runtime WHERE name = $name", ("$name", name));
            Run(transaction, "DELETE FROM vms WHERE name = $name", ("$name", name));
            transaction.Commit();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _db.Dispose();
        }
    }

    private static void WriteRuntime(SqliteTransaction transaction, string name, VmRuntime runtime) =>
        Run(transaction, """
            INSERT INTO vm_runtime (name, state, pid, pid_start, reason, since, restarts)
            VALUES ($name, $state, $pid, $pid_start, $reason, $since, $restarts)
            ON CONFLICT (name) DO UPDATE SET state = excluded.state, pid = excluded.pid, pid_start = excluded.pid_start,
                reason = excluded.reason, since = excluded.since, restarts = excluded.restarts
            """,
            ("$name", name), ("$state", ManagerNames.Of(runtime.State)), ("$pid", runtime.Pid),
            ("$pid_start", runtime.PidStartTicks is { } t ? (long)t : null), ("$reason", runtime.Reason),
            ("$since", runtime.Since.ToString("O", CultureInfo.InvariantCulture)), ("$restarts", runtime.Restarts));

    private static string Serialize(VmDefinition definition) =>
        JsonSerializer.Serialize(definition, ManagerJsonContext.Default.VmDefinition);

    private static void Run(SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    internal static void Execute(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
