from ops_db_writer.app import main

raise SystemExit(main())
