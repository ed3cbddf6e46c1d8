using Microsoft.Data.Sqlite;

namespace SharpVirt.Manager.Store;

/// <summary>
/// The database schema as an ordered list of migrations; <c>PRAGMA user_version</c> records how many have run. A new
/// version of SharpVirt appends a migration, never edits one that has shipped.
/// </summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        // 1: VM definitions (the API's JSON) and the record of each VM's current run.
        """
        CREATE TABLE vms (
            name TEXT PRIMARY KEY NOT NULL,
            definition TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE vm_runtime (
            name TEXT PRIMARY KEY NOT NULL REFERENCES vms (name),
            state TEXT NOT NULL,
            pid INTEGER,
            pid_start INTEGER,
            reason TEXT,
            since TEXT NOT NULL,
            restarts INTEGER NOT NULL DEFAULT 0
        );
        """,
    ];

    /// <summary>The schema version this build writes.</summary>
    public static int Version => Migrations.Length;

    /// <summary>Runs the migrations the database has not had yet, each in its own transaction.</summary>
    public static void Migrate(SqliteConnection db, string path)
    {
        var current = UserVersion(db);
        if (current > Version)
        {
            throw new ManagerException(ManagerErrorKind.Host, "database",
                $"{path} has schema version {current}, newer than this SharpVirt's {Version}: use a newer sharpvirtd");
        }

        for (var v = current; v < Version; v++)
        {
            using var transaction = db.BeginTransaction();
            using var command = db.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Migrations[v] + $"\nPRAGMA user_version = {v + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    /// <summary>The database's <c>PRAGMA user_version</c>.</summary>
    public static int UserVersion(SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
