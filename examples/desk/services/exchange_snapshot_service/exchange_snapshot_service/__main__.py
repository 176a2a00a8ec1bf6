from exchange_snapshot_service.app import main

raise SystemExit(main())
